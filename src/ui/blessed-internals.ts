// The parts of blessed's screens and elements that the fast paths (fast-box-render.ts,
// fast-screen-draw.ts) read and write: blessed's typings leave them out. Both paths produce exactly
// the cells and bytes blessed's own code would, so these names are blessed's own.

import blessed from 'blessed';

export type Cell = [number, string];
/**
 * A row of the screen's cells. `dirty` is blessed's: its diff compares the whole row. The rest are
 * ours, on `lines` (markChanged):
 * - `changedFrom`..`changedTo` (columns, both included): the only cells the fast boxes changed
 *   since the last frame, when nothing else made the row dirty: the diff compares those alone.
 * - `wholeNextDiff`: cells of the row may differ from what the terminal shows without the row
 *   being marked (blessed adds a combining character to a cell without marking it; its diff leaves
 *   a wide character's cells unlike the terminal's, to write them again): blessed's diff would
 *   write those at the row's next drawing, so that one compares the whole row.
 * - `stamp`: counts the changes to the row's cells that this code knows of: a fast box's
 *   (markChanged) and, when its diff finds the row dirty or compares it whole, anyone else's. A
 *   fast box that finds it as it left it knows its cells are as it wrote them.
 */
export type Row = Cell[] & { dirty?: boolean; changedFrom?: number; changedTo?: number; wholeNextDiff?: boolean; stamp?: number };

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

export interface ScreenInternals {
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
  /** Set by fastScreenDraw: the screen's diff reads `changedFrom`..`changedTo` (Row). */
  parlorChangedCells?: boolean;
}

export const unicode = (blessed as unknown as { unicode: { charWidth(str: string): number; codePointAt(str: string, i: number): number; combining: Record<number, boolean>; chars: { combining: RegExp } } }).unicode;

/**
 * Boxes and screens drawn here rather than by blessed, rows of which only the cells the fast boxes
 * changed were compared, and rows a fast box wrote from what it knew it had left there (tests
 * check that the fast paths ran).
 */
export const fastDrawCounts = { boxes: 0, screens: 0, changedCellRows: 0, rowsFromRecord: 0 };

/**
 * Cells `from`..`to` (columns, both included) of a row were changed by a fast box. Where the
 * screen's diff is fastScreenDraw's, it compares only those at the next frame (unless something
 * else made the row dirty); elsewhere the row is dirty, as blessed would mark it.
 */
export function markChanged(screen: ScreenInternals, row: Row, from: number, to: number): void {
  row.stamp = (row.stamp ?? 0) + 1;
  if (!screen.parlorChangedCells) {
    row.dirty = true;
    return;
  }
  if (row.changedFrom === undefined || from < row.changedFrom) row.changedFrom = from;
  if (row.changedTo === undefined || to > row.changedTo) row.changedTo = to;
}
