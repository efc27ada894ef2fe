// The parts of blessed's screens and elements that the fast paths (fast-box-render.ts,
// fast-screen-draw.ts) read and write: blessed's typings leave them out. Both paths produce exactly
// the cells and bytes blessed's own code would, so these names are blessed's own.

import blessed from 'blessed';

export type Cell = [number, string];
export type Row = Cell[] & { dirty?: boolean };

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
}

export const unicode = (blessed as unknown as { unicode: { charWidth(str: string): number; codePointAt(str: string, i: number): number; combining: Record<number, boolean> } }).unicode;

/** Boxes and screens drawn here rather than by blessed (tests check that the fast paths ran). */
export const fastDrawCounts = { boxes: 0, screens: 0 };
