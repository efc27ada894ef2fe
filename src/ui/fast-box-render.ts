// blessed draws a box's text cell by cell at every render, parsing its escape codes and asking
// every character's width again, and then compares every cell of every changed line with what the
// terminal shows. For the chat room's boxes that is most of a frame, and the SSH front door draws
// a frame per visitor for each message. Here the same work is done per line instead of per frame:
//
// - A box's text line (after blessed's parse and wrap) becomes a run of cells once (text-runs.ts), kept on
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
import { fastDrawCounts, markChanged, type Cell, type Coords, type ScreenInternals } from './blessed-internals.ts';
import { blankRun, cellsBetween, runsFor, type ParsedLines, type Run } from './text-runs.ts';

/** What a box last wrote in a row of its content: the line (or blank), and the row's stamp right after. */
interface RowRecord {
  shows: Run;
  stamp: number | undefined;
}

/** A box's row records, by screen row, for where it was drawn then and in which screen buffer. */
type RowRecords = Array<RowRecord | undefined> & { xi: number; width: number; blank: string; lines: unknown };

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

const FAST = Symbol('parlor.fastBoxRender');
/** renderBox's answer for a box it does not cover: blessed's own render draws it. */
const BLESSED = Symbol('parlor.blessedRender');

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
  const runs = runsFor(el.screen, el.ch, clines, dattr, width);
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

