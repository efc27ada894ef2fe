// blessed's screen diff (Screen.draw) for the chat room's screens, with its terminal codes (cursor
// moves, colours) worked out once instead of for every cell, and a frame's bytes put together in a
// reused buffer and written once. The same bytes as blessed's (tests/ui/fast-box-render.test.ts
// compares them); any screen it does not cover is drawn by blessed.

import blessed from 'blessed';
import { fastDrawCounts, unicode, type ScreenInternals } from './blessed-internals.ts';

/** Box-drawing characters after which blessed does not let a wide character take two cells (its `angles`). */
const ANGLES = new Set(['┘', '┐', '┌', '└', '┼', '├', '┤', '┴', '┬', '│', '─']);

/** Draws the screen's changed lines with blessed's own diff, its terminal codes worked out once. */
export function fastScreenDraw(screen: blessed.Widgets.Screen): void {
  const internals = screen as unknown as ScreenInternals;
  const original = internals.draw.bind(internals);
  markSilentCombining();
  // The fast boxes now say which cells of a row they changed (markChanged) rather than marking it dirty.
  internals.parlorChangedCells = true;
  internals.draw = (start: number, end: number) => {
    if (drawScreen(internals, start, end)) return;
    // blessed's diff knows dirty rows only (and tells no one which it drew: every row's stamp moves).
    for (const row of internals.lines) {
      row.stamp = (row.stamp ?? 0) + 1;
      if (row.changedFrom === undefined) continue;
      row.dirty = true;
      row.changedFrom = row.changedTo = undefined;
    }
    original(start, end);
  };
}

let silentCombiningMarked = false;

/**
 * blessed's own render (labels, any box the fast one does not cover) adds a combining character to
 * the cell before it without marking the row dirty: rows of an element whose text has any may hold
 * such a change, which blessed's diff writes whenever it next compares the whole row. Such rows are
 * marked so that the next diff does compare them whole (Row.wholeNextDiff).
 */
export function markSilentCombining(): void {
  if (silentCombiningMarked) return;
  silentCombiningMarked = true;
  const element = (blessed as unknown as { Element: { prototype: Record<string, unknown> } }).Element.prototype;
  const render = element.render as (this: ElementLike) => { yi: number; yl: number } | undefined;
  const combining = new RegExp(unicode.chars.combining.source);
  const marked = function (this: ElementLike) {
    const coords = render.call(this);
    const screen = this.screen;
    if (coords && screen.parlorChangedCells && screen.fullUnicode && combining.test(this.content ?? '')) {
      for (let y = coords.yi; y < coords.yl; y++) {
        const row = screen.lines[y];
        if (row) row.wholeNextDiff = true;
      }
    }
    return coords;
  };
  element.render = marked;
  element._render = marked;
}

interface ElementLike {
  screen: ScreenInternals;
  content?: string;
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
    const changedFrom = line.changedFrom;
    if (!line.dirty && changedFrom === undefined) continue;
    // Only the cells the fast boxes changed, when nothing else did and blessed's diff would find
    // nothing else to write in the row: every other cell is what the terminal shows (blessed
    // copies each cell it writes), and is compared only to be skipped. Otherwise the whole row.
    const whole = line.dirty || line.wholeNextDiff;
    let from = 0;
    let to = line.length - 1;
    if (!whole) {
      from = changedFrom!;
      to = Math.min(to, line.changedTo!);
      fastDrawCounts.changedCellRows++;
    }
    line.dirty = false;
    line.changedFrom = line.changedTo = undefined;
    if (whole) {
      line.wholeNextDiff = false;
      // Something other than the fast boxes may have changed the row's cells.
      line.stamp = (line.stamp ?? 0) + 1;
    }
    // The row's cursor position goes first, taken back if the row writes nothing.
    const rowStart = written;
    put(cup(y, 0));
    const cellsStart = written;
    room((to - from + 1) * 48 + 16);
    let attr = dattr;
    // The cells before `from` are the same as the terminal's: blessed's diff would have started
    // skipping at the first of them.
    if (from > 0 && lx === -1) {
      lx = 0;
      ly = y;
    }
    let x = from;
    for (; x <= to; x++) {
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
        // Either way a cell is left unlike the terminal's: the row's next diff is whole, as blessed's always is.
        line.wholeNextDiff = true;
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
    // And so are the cells after the last compared: blessed's diff would skip them from the first.
    if (x < line.length && lx === -1) {
      lx = x;
      ly = y;
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
