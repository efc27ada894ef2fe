// blessed draws a box's text cell by cell at every render, parsing its escape codes and asking
// every character's width again, and then compares every cell of every changed line with what the
// terminal shows. For the chat room's boxes that is most of a frame, and the SSH front door draws
// a frame per visitor for each message. Here the same work is done per line instead of per frame:
//
// - A box's text line (after blessed's parse and wrap) becomes a run of cells once, and is kept on
//   the parsed lines it came from: the message panes of visitors who see the same text share one
//   parse (blessed-speedups.ts), so they share the runs too. A render then copies runs into the
//   screen's cells.
// - A screen's diff (Screen.draw) is blessed's own, with its terminal codes (cursor moves, colours)
//   worked out once instead of for every cell.
//
// Both produce exactly what blessed's own code produces (the same cells, the same bytes: tests/ui/
// fast-box-render.test.ts compares them), and hand anything they do not cover back to it.

import blessed from 'blessed';

/** One text line of a box as cells: what blessed's render loop writes for it. */
interface Run {
  attrs: number[];
  chars: string[];
  /** For a cell with combining characters: the character blessed writes before adding them. */
  bases?: Array<string | undefined>;
  /** The line holds colour codes and nothing to show. */
  codesOnly: boolean;
  /** The attribute after the line (its trailing codes included): blessed fills the rest of the row with it. */
  endAttr: number;
}

type Cell = [number, string];
type Row = Cell[] & { dirty?: boolean };

/** Where blessed puts an element on the screen (Element._getCoords). */
export interface Coords {
  xi: number;
  xl: number;
  yi: number;
  yl: number;
  base: number;
  notop?: boolean;
  nobot?: boolean;
  noleft?: boolean;
  noright?: boolean;
}

type ParsedLines = string[] & { attr?: number[]; ci: number[]; parlorRuns?: Map<string, Array<Run | null>> };

interface BoxInternals {
  screen: ScreenInternals;
  parent: { _isList?: boolean };
  type: string;
  style: { transparent?: boolean; border?: object; scrollbar?: { fg?: unknown; bg?: unknown }; fg?: unknown; bg?: unknown };
  border?: { type?: string; left?: boolean; right?: boolean; top?: boolean; bottom?: boolean };
  scrollbar?: { ch?: string; ignoreBorder?: boolean };
  track?: unknown;
  shadow?: boolean;
  tpadding?: number;
  valign?: string;
  _noFill?: boolean;
  ch: string;
  childBase: number;
  childOffset: number;
  alwaysScroll?: boolean;
  lpos?: Coords;
  children: BoxInternals[];
  _clines: ParsedLines | null;
  _pcontent: string;
  _emit(event: string, args?: unknown[]): void;
  parseContent(): boolean;
  _getCoords(get: boolean): Coords | undefined;
  sattr(style: object, fg?: unknown, bg?: unknown): number;
  _scrollBottom(): number;
  render(): unknown;
}

interface ScreenInternals {
  lines: Row[];
  olines: Row[];
  _buf: string;
  _borderStops: Record<number, boolean>;
  _ci: number;
  dattr: number;
  cols: number;
  rows: number;
  fullUnicode: boolean;
  options: { useBCE?: boolean };
  cursor: { artificial?: boolean };
  program: { cursorHidden?: boolean; ret?: boolean; output: { writable: boolean; write(bytes: Buffer): unknown }; flush(): void };
  tput: {
    colors: number;
    unicode?: boolean;
    brokenACS?: boolean;
    numbers: { U8?: number };
    strings: { enter_alt_charset_mode?: string; parm_right_cursor?: string };
    cup(y: number, x: number): string;
    cuf(n: number): string;
    sc(): string;
    rc(): string;
    civis(): string;
    cnorm(): string;
  };
  attrCode(code: string, cur: number, def: number): number;
  codeAttr(attr: number): string;
  _reduceColor(color: number): number;
  draw(start: number, end: number): void;
}

const unicode = (blessed as unknown as { unicode: { charWidth(str: string): number; codePointAt(str: string, i: number): number; combining: Record<number, boolean> } }).unicode;
const SGR = /^\x1b\[[\d;]*m/;
const FAST = Symbol('parlor.fastBoxRender');
/** renderBox's answer for a box it does not cover: blessed's own render draws it. */
const BLESSED = Symbol('parlor.blessedRender');

/** Box-drawing characters after which blessed does not let a wide character take two cells (its `angles`). */
const ANGLES = new Set(['┘', '┐', '┌', '└', '┼', '├', '┤', '┴', '┬', '│', '─']);

/** Boxes and screens drawn here rather than by blessed (tests check that the fast paths ran). */
export const fastDrawCounts = { boxes: 0, screens: 0 };

/** Runs made from lines of any box, by their text and how they are drawn: the next frame's lines are mostly the last frame's. */
const RUNS_KEPT = 4096;
const runsByLine = new Map<string, Run | null>();

/**
 * Renders this box with runs of cells made once per text line (see the top of the file). Only for
 * plain boxes: a box with anything this does not cover (padding, transparency, shadow, a border
 * other than a full line, clipping) is rendered by blessed as before, at each render.
 */
export function fastBoxRender(box: blessed.Widgets.BlessedElement): void {
  const element = box as unknown as BoxInternals & Record<symbol, unknown>;
  if (element[FAST]) return;
  element[FAST] = true;
  const original = element.render.bind(element);
  element.render = () => {
    const drawn = renderBox(element);
    return drawn === BLESSED ? original() : drawn;
  };
}

/** Draws the screen's changed lines with blessed's own diff, its terminal codes worked out once. */
export function fastScreenDraw(screen: blessed.Widgets.Screen): void {
  const internals = screen as unknown as ScreenInternals;
  const original = internals.draw.bind(internals);
  internals.draw = (start: number, end: number) => {
    if (!drawScreen(internals, start, end)) original(start, end);
  };
}

/** What blessed's render returns (its coords, or undefined for a box not drawn); BLESSED for a box this does not cover. */
function renderBox(el: BoxInternals): Coords | undefined | typeof BLESSED {
  const border = el.border;
  if (el.style.transparent || el.tpadding || (el.valign && el.valign !== 'top') || el._noFill || el.shadow || el.track || el.parent._isList) return BLESSED;
  if (border && (border.type !== 'line' || !border.left || !border.right || !border.top || !border.bottom)) return BLESSED;
  if (el.scrollbar?.ignoreBorder) return BLESSED;
  const screen = el.screen;
  // What follows is blessed's Element.render up to the content, as it is.
  el._emit('prerender');
  el.parseContent();
  const coords = el._getCoords(true);
  if (!coords) {
    delete el.lpos;
    return undefined;
  }
  if (coords.xl - coords.xi <= 0) {
    coords.xl = Math.max(coords.xl, coords.xi);
    return undefined;
  }
  if (coords.yl - coords.yi <= 0) {
    coords.yl = Math.max(coords.yl, coords.yi);
    return undefined;
  }
  const clines = el._clines!;
  // Clipped by its parent, off the screen, or scrolled past its text: blessed's own loop (it has
  // run prerender and the parse already, which it does again without effect).
  if (coords.noleft || coords.noright || coords.notop || coords.nobot || coords.xi < 0 || coords.yi < 0 || coords.xl > screen.cols || coords.yl > screen.rows || (coords.base > 0 && coords.base >= clines.length) || !clines.attr) {
    return BLESSED;
  }
  const lines = screen.lines;
  el.lpos = coords;
  if (border) {
    screen._borderStops[coords.yi] = true;
    screen._borderStops[coords.yl - 1] = true;
  }
  const dattr = el.sattr(el.style);
  let { xi, xl, yi, yl } = coords;
  if (border) xi++, xl--, yi++, yl--;
  const width = xl - xi;
  const runs = runsFor(el, clines, dattr, width);
  if (!runs) return BLESSED;
  // The content: each row shows one text line of the parse, from `base` (scrolling), as blessed's
  // loop lays them out; after the last line, blanks in the attribute the text ended with.
  let index = coords.base;
  let fillAttr = dattr;
  for (let y = yi; y < yl; y++) {
    let run: Run | undefined;
    while (index < clines.length) {
      const next = runs[index++]!;
      fillAttr = next.endAttr;
      // blessed takes a line of nothing but colour codes for the end of the line before it, below
      // the first row: the row shows the line after it.
      if (next.codesOnly && y !== yi) continue;
      run = next;
      break;
    }
    const row = lines[y]!;
    let dirty = false;
    const chars = run?.chars;
    const attrs = run?.attrs;
    const bases = run?.bases;
    const shown = chars ? chars.length : 0;
    for (let x = 0; x < shown; x++) {
      const cell = row[xi + x]!;
      const attr = attrs![x]!;
      const ch = chars![x]!;
      const base = bases?.[x];
      if (base !== undefined) {
        // As blessed does: the base character is written (the row counts as changed if it differs
        // from the cell, which still holds the combined one), then the combining ones are added.
        if (attr !== cell[0] || base !== cell[1]) {
          cell[0] = attr;
          dirty = true;
        }
        cell[1] = ch;
      } else if (attr !== cell[0] || ch !== cell[1]) {
        cell[0] = attr;
        cell[1] = ch;
        dirty = true;
      }
    }
    const blank = el.ch;
    for (let x = shown; x < width; x++) {
      const cell = row[xi + x]!;
      if (fillAttr !== cell[0] || blank !== cell[1]) {
        cell[0] = fillAttr;
        cell[1] = blank;
        dirty = true;
      }
    }
    if (dirty) row.dirty = true;
  }
  // The scrollbar, as blessed draws it (without a track, inside the border).
  if (el.scrollbar) {
    const total = Math.max(clines.length, el._scrollBottom());
    if (yl - yi < total) {
      const x = xl - 1;
      const at = el.alwaysScroll ? el.childBase / (total - (yl - yi)) : (el.childBase + el.childOffset) / (total - 1);
      let y = yi + (((yl - yi) * at) | 0);
      if (y >= yl) y = yl - 1;
      const cell = lines[y]?.[x];
      if (cell) {
        const scrollStyle = el.style.scrollbar ?? {};
        const ch = el.scrollbar.ch || ' ';
        const attr = el.sattr(scrollStyle, scrollStyle.fg || el.style.fg, scrollStyle.bg || el.style.bg);
        if (attr !== cell[0] || ch !== cell[1]) {
          cell[0] = attr;
          cell[1] = ch;
          lines[y]!.dirty = true;
        }
      }
    }
  }
  if (border) drawLineBorder(lines, el.sattr(el.style.border ?? {}), coords);
  for (const child of el.children) {
    if (screen._ci !== -1) (child as unknown as { index: number }).index = screen._ci++;
    child.render();
  }
  el._emit('render', [coords]);
  fastDrawCounts.boxes++;
  return coords;
}

/** A full line border in `attr`, as blessed draws it: corners, then sides. */
function drawLineBorder(lines: Row[], attr: number, { xi, xl, yi, yl }: Coords): void {
  const put = (y: number, x: number, ch: string): void => {
    const cell = lines[y]![x]!;
    if (attr !== cell[0] || ch !== cell[1]) {
      cell[0] = attr;
      cell[1] = ch;
      lines[y]!.dirty = true;
    }
  };
  for (let x = xi; x < xl; x++) put(yi, x, x === xi ? '┌' : x === xl - 1 ? '┐' : '─');
  for (let y = yi + 1; y < yl - 1; y++) {
    put(y, xi, '│');
    put(y, xl - 1, '│');
  }
  for (let x = xi; x < xl; x++) put(yl - 1, x, x === xi ? '└' : x === xl - 1 ? '┘' : '─');
}

/**
 * The runs of a box's parsed lines for this width and style, kept on the parsed lines (shared by
 * every box showing the same text) and by line text (for the next frame's lines). Null when a line
 * is one this does not cover.
 */
function runsFor(el: BoxInternals, clines: ParsedLines, dattr: number, width: number): Array<Run | null> | null {
  const screen = el.screen;
  const settings = `${width}\u0000${dattr}\u0000${el.ch}\u0000${screen.fullUnicode ? 1 : 0}`;
  clines.parlorRuns ??= new Map();
  let runs = clines.parlorRuns.get(settings);
  if (!runs) {
    runs = [];
    const attrs = clines.attr!;
    for (let i = 0; i < clines.length; i++) {
      const line = clines[i]!;
      const key = `${line}\u0000${attrs[i]}\u0000${settings}`;
      let run = runsByLine.get(key);
      if (run === undefined) {
        run = lineRun(screen, line, attrs[i]!, dattr, el.ch, width);
        if (runsByLine.size >= RUNS_KEPT) runsByLine.clear();
        runsByLine.set(key, run);
      }
      if (run === null) return null;
      runs.push(run);
    }
    // Parsed lines are kept per content (and shared); one set of runs per way of drawing them.
    if (clines.parlorRuns.size >= 4) clines.parlorRuns.clear();
    clines.parlorRuns.set(settings, runs);
  }
  return runs;
}

/**
 * One line as blessed's render loop draws it from `startAttr`: escape codes change the attribute,
 * a tab is a blank, with fullUnicode a surrogate pair is one cell and a combining character joins
 * the cell before it. Null for a line this does not cover: one wider than the box (its rest would
 * run on into the next row) or one that starts with a combining character.
 */
function lineRun(screen: ScreenInternals, line: string, startAttr: number, dattr: number, blank: string, width: number): Run | null {
  const attrs: number[] = [];
  const chars: string[] = [];
  let bases: Array<string | undefined> | undefined;
  let attr = startAttr;
  let i = 0;
  while (i < line.length) {
    let ch = line[i++]!;
    let ended = false;
    while (ch === '\x1b') {
      const code = SGR.exec(line.substring(i - 1));
      if (!code) break;
      i += code[0].length - 1;
      attr = screen.attrCode(code[0], attr, dattr);
      if (i >= line.length) {
        ended = true;
        break;
      }
      ch = line[i++]!;
    }
    if (ended) break;
    if (chars.length === width) return null;
    if (ch === '\t') ch = blank;
    if (screen.fullUnicode) {
      const point = unicode.codePointAt(line, i - 1);
      if (unicode.combining[point]) {
        if (point > 0xffff) ch = line[i - 1]! + line[i++]!;
        if (chars.length === 0) return null;
        bases ??= [];
        bases[chars.length - 1] ??= chars[chars.length - 1];
        chars[chars.length - 1] += ch;
        continue;
      }
      if (point > 0xffff) ch = line[i - 1]! + line[i++]!;
    }
    attrs.push(attr);
    chars.push(ch);
  }
  return { attrs, chars, ...(bases && { bases }), codesOnly: chars.length === 0 && line.length > 0, endAttr: attr };
}

/** Terminal codes by their parameters, per compiled capability (shared by every screen of a terminal type). */
const codeCache = new WeakMap<object, Map<number, string>>();

function cached(capability: (...args: number[]) => string, key: number, make: () => string): string {
  let known = codeCache.get(capability);
  if (!known) codeCache.set(capability, (known = new Map()));
  let code = known.get(key);
  if (code === undefined) {
    code = make();
    known.set(key, code);
  }
  return code;
}

/** blessed's SGR for an attribute (from Screen.draw), per screen colour depth. */
const sgrCache = new Map<number, Map<number, string>>();

function sgr(screen: ScreenInternals, data: number): string {
  let byColors = sgrCache.get(screen.tput.colors);
  if (!byColors) sgrCache.set(screen.tput.colors, (byColors = new Map()));
  let code = byColors.get(data);
  if (code !== undefined) return code;
  const parts: Array<string | number> = [];
  const flags = data >> 18;
  if (flags & 1) parts.push(1);
  if (flags & 2) parts.push(4);
  if (flags & 4) parts.push(5);
  if (flags & 8) parts.push(7);
  if (flags & 16) parts.push(8);
  let bg = data & 0x1ff;
  let fg = (data >> 9) & 0x1ff;
  if (bg !== 0x1ff) {
    bg = screen._reduceColor(bg);
    parts.push(bg < 8 ? bg + 40 : bg < 16 ? bg - 8 + 100 : `48;5;${bg}`);
  }
  if (fg !== 0x1ff) {
    fg = screen._reduceColor(fg);
    parts.push(fg < 8 ? fg + 30 : fg < 16 ? fg - 8 + 90 : `38;5;${fg}`);
  }
  code = `\x1b[${parts.join(';')}m`;
  byColors.set(data, code);
  return code;
}

/** Where a frame's bytes are put together, reused from frame to frame (grown when a frame needs more). */
let scratch = Buffer.allocUnsafe(64 * 1024);
let written = 0;

function room(bytes: number): void {
  if (written + bytes <= scratch.length) return;
  const bigger = Buffer.allocUnsafe(Math.max(scratch.length * 2, written + bytes));
  scratch.copy(bigger, 0, 0, written);
  scratch = bigger;
}

/** Text as the terminal gets it from blessed: UTF-8 (terminal codes and most text are ASCII, copied a byte at a time). */
function put(text: string): void {
  room(text.length * 3);
  const start = written;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) {
      written = start + scratch.write(text, start, 'utf8');
      return;
    }
    scratch[written++] = code;
  }
}

/**
 * blessed's Screen.draw for what the SSH visitors' and the local screens use (no artificial cursor,
 * no BCE, UTF-8 rather than the alternate character set): the same comparison with what the
 * terminal shows and the same bytes, put together in a buffer rather than as a string of one piece
 * per cell (which then had to be flattened and encoded). False, with nothing done, for any other
 * screen.
 */
function drawScreen(screen: ScreenInternals, start: number, end: number): boolean {
  const { tput, program } = screen;
  if (screen.cursor.artificial || screen.options.useBCE || program.ret) return false;
  if (tput.strings.enter_alt_charset_mode && !tput.brokenACS) return false;
  if (!tput.unicode && tput.numbers.U8 !== 1) return false;
  const cup = (y: number, x: number): string => cached(tput.cup, y * 65536 + x, () => tput.cup(y, x));
  const cuf = (n: number): string => cached(tput.cuf, n, () => tput.cuf(n));
  const rightCursor = Boolean(tput.strings.parm_right_cursor);
  const dattr = screen.dattr;
  written = 0;
  // What goes before the frame's own bytes; written only if the frame has any.
  const pre = program.cursorHidden ? tput.sc() : tput.sc() + tput.civis();
  put(pre);
  const frameStart = written;
  if (screen._buf) {
    put(screen._buf);
    screen._buf = '';
  }
  let lx = -1;
  let ly = -1;
  for (let y = start; y <= end; y++) {
    const line = screen.lines[y]!;
    const o = screen.olines[y]!;
    if (!line.dirty) continue;
    line.dirty = false;
    // The row's cursor position goes first, taken back if the row writes nothing.
    const rowStart = written;
    put(cup(y, 0));
    const cellsStart = written;
    room(line.length * 48 + 16);
    let attr = dattr;
    for (let x = 0; x < line.length; x++) {
      const cell = line[x]!;
      const old = o[x]!;
      const data = cell[0];
      let ch = cell[1];
      if (data === old[0] && ch === old[1]) {
        if (lx === -1) {
          lx = x;
          ly = y;
        }
        continue;
      } else if (lx !== -1) {
        put(rightCursor && y === ly ? cuf(x - lx) : cup(y, x));
        lx = -1;
        ly = -1;
      }
      old[0] = data;
      old[1] = ch;
      if (data !== attr) {
        if (attr !== dattr) put('\x1b[m');
        if (data !== dattr) put(sgr(screen, data));
      }
      const code = ch.charCodeAt(0);
      const ascii = ch.length === 1 && code < 0x7f;
      // Printable ASCII is one column: only other characters are asked their width.
      if (!(ascii && code >= 0x20) && screen.fullUnicode && unicode.charWidth(ch) === 2) {
        if (x === line.length - 1 || ANGLES.has(line[x + 1]![1])) {
          ch = ' ';
          old[1] = '\0';
        } else {
          old[1] = '\0';
          o[++x]![1] = '\0';
        }
      }
      if (ascii && ch === cell[1]) scratch[written++] = code;
      else put(ch);
      attr = data;
    }
    if (attr !== dattr) put('\x1b[m');
    if (written === cellsStart) written = rowStart;
  }
  if (written > frameStart) {
    put(program.cursorHidden ? tput.rc() : tput.rc() + tput.cnorm());
    // Whatever blessed has buffered goes first, as it would have been joined before this frame.
    program.flush();
    if (program.output.writable) program.output.write(Buffer.from(scratch.subarray(0, written)));
  }
  written = 0;
  fastDrawCounts.screens++;
  return true;
}
