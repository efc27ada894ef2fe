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
//   worked out once instead of for every cell: fast-screen-draw.ts.
//
// Both produce exactly what blessed's own code produces (the same cells, the same bytes: tests/ui/
// fast-box-render.test.ts compares them), and hand anything they do not cover back to it.

import type blessed from 'blessed';
import { markSilentCombining } from './fast-screen-draw.ts';
import { fastDrawCounts, markChanged, unicode, type Cell, type Coords, type ScreenInternals } from './blessed-internals.ts';

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

/** What a box last wrote in a row of its content: the line (or blank), and the row's stamp right after. */
interface RowRecord {
  shows: Run;
  stamp: number | undefined;
}

/** A box's row records, by screen row, for where it was drawn then and in which screen buffer. */
type RowRecords = Array<RowRecord | undefined> & { xi: number; width: number; blank: string; lines: unknown };

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
  parlorRows?: RowRecords;
  _pcontent: string;
  _emit(event: string, args?: unknown[]): void;
  parseContent(): boolean;
  _getCoords(get: boolean): Coords | undefined;
  sattr(style: object, fg?: unknown, bg?: unknown): number;
  _scrollBottom(): number;
  render(): unknown;
}


const SGR = /^\x1b\[[\d;]*m/;
const FAST = Symbol('parlor.fastBoxRender');
/** renderBox's answer for a box it does not cover: blessed's own render draws it. */
const BLESSED = Symbol('parlor.blessedRender');


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
  // Before blessed's render is taken for the boxes this does not cover.
  markSilentCombining();
  const original = element.render.bind(element);
  element.render = () => {
    const drawn = renderBox(element);
    return drawn === BLESSED ? original() : drawn;
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
  const blank = el.ch;
  // What this box last wrote in each row (see RowRecord); kept while it stays where it was.
  let records = el.parlorRows;
  if (!records || records.xi !== xi || records.width !== width || records.blank !== blank || records.lines !== lines) {
    records = el.parlorRows = Object.assign([] as Array<RowRecord | undefined>, { xi, width, blank, lines });
  }
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
    const shows = run ?? blankRun(fillAttr);
    const record = records[y];
    // The row as this box left it, with nothing else written since (its stamp has not moved, it is
    // not dirty): only the cells where the old line and the new one differ can have changed.
    // Every visitor of a room scrolls through the same lines, so which cells those are is worked
    // out once for each pair of lines (cellsBetween).
    if (record && record.stamp === row.stamp && record.shows !== shows && !row.dirty && !row.wholeNextDiff && !record.shows.bases && !shows.bases && screen.parlorChangedCells) {
      let first = -1;
      let last = -1;
      for (const x of cellsBetween(record.shows, shows, width, blank)) {
        const cell = row[xi + x]!;
        const inText = x < shows.chars.length;
        const attr = inText ? shows.attrs[x]! : fillAttr;
        const ch = inText ? shows.chars[x]! : blank;
        if (writeCell(cell, attr, ch)) {
          if (first < 0) first = x;
          last = x;
        }
      }
      if (first >= 0) markChanged(screen, row, xi + first, xi + last);
      record.shows = shows;
      record.stamp = row.stamp;
      fastDrawCounts.rowsFromRecord++;
      continue;
    }
    if (record && record.stamp === row.stamp && record.shows === shows && !row.dirty && !row.wholeNextDiff && screen.parlorChangedCells) {
      fastDrawCounts.rowsFromRecord++;
      continue;
    }
    // The first and last cells changed (columns inside the box), -1 for none.
    let first = -1;
    let last = -1;
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
        // from the cell, which still holds the combined one), then the combining ones are added,
        // which may change the cell without the row counting as changed.
        if (attr !== cell[0] || base !== cell[1]) {
          cell[0] = attr;
          if (first < 0) first = x;
          last = x;
        } else if (ch !== cell[1]) row.wholeNextDiff = true;
        cell[1] = ch;
      } else if (writeCell(cell, attr, ch)) {
        if (first < 0) first = x;
        last = x;
      }
    }
    for (let x = shown; x < width; x++) {
      if (writeCell(row[xi + x]!, fillAttr, blank)) {
        if (first < 0) first = x;
        last = x;
      }
    }
    if (first >= 0) markChanged(screen, row, xi + first, xi + last);
    if (record) {
      record.shows = shows;
      record.stamp = row.stamp;
    } else records[y] = { shows, stamp: row.stamp };
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
          markChanged(screen, lines[y]!, x, x);
        }
      }
    }
  }
  if (border) drawLineBorder(screen, el.sattr(el.style.border ?? {}), coords);
  for (const child of el.children) {
    if (screen._ci !== -1) (child as unknown as { index: number }).index = screen._ci++;
    child.render();
  }
  el._emit('render', [coords]);
  fastDrawCounts.boxes++;
  return coords;
}

/** Sets a cell to `attr` and `ch`; true if it held something else. */
function writeCell(cell: Cell, attr: number, ch: string): boolean {
  if (attr === cell[0] && ch === cell[1]) return false;
  cell[0] = attr;
  cell[1] = ch;
  return true;
}

/** Rows past the end of the text, as a line of no cells in the attribute they are filled with. */
const blankRuns = new Map<number, Run>();

function blankRun(fillAttr: number): Run {
  let run = blankRuns.get(fillAttr);
  if (!run) {
    if (blankRuns.size >= RUNS_KEPT) blankRuns.clear();
    blankRuns.set(fillAttr, (run = { attrs: [], chars: [], codesOnly: false, endAttr: fillAttr }));
  }
  return run;
}

/** The columns (inside a box of `width`, filled with `blank`) where a row showing `before` and one showing `after` differ. */
const betweenKept = new WeakMap<Run, WeakMap<Run, { width: number; blank: string; columns: number[] }>>();

function cellsBetween(before: Run, after: Run, width: number, blank: string): number[] {
  let fromBefore = betweenKept.get(before);
  if (!fromBefore) betweenKept.set(before, (fromBefore = new WeakMap()));
  const known = fromBefore.get(after);
  if (known && known.width === width && known.blank === blank) return known.columns;
  const columns: number[] = [];
  for (let x = 0; x < width; x++) {
    const oldText = x < before.chars.length;
    const newText = x < after.chars.length;
    const oldAttr = oldText ? before.attrs[x] : before.endAttr;
    const newAttr = newText ? after.attrs[x] : after.endAttr;
    const oldCh = oldText ? before.chars[x] : blank;
    const newCh = newText ? after.chars[x] : blank;
    if (oldAttr !== newAttr || oldCh !== newCh) columns.push(x);
  }
  fromBefore.set(after, { width, blank, columns });
  return columns;
}

/** A full line border in `attr`, as blessed draws it: corners, then sides. */
function drawLineBorder(screen: ScreenInternals, attr: number, { xi, xl, yi, yl }: Coords): void {
  const lines = screen.lines;
  const put = (y: number, x: number, ch: string): void => {
    const cell = lines[y]![x]!;
    if (attr !== cell[0] || ch !== cell[1]) {
      cell[0] = attr;
      cell[1] = ch;
      markChanged(screen, lines[y]!, x, x);
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
