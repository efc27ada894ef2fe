// Pictures in 24-bit colour on a blessed screen. blessed keeps a cell's colour in 9 bits, so a
// picture drawn through it is reduced to the xterm-256 palette, and it turns SGR 38;2/48;2 in
// content into the nearest palette colour too. When the terminal takes 24-bit colour
// (COLORTERM=truecolor), the chat room lets blessed draw the picture in 256 colours as before,
// then draws the picture's cells again, straight to the terminal, after each render, at the
// picture's place on screen.
//
// blessed decides what to repaint by comparing each cell with its record of what the terminal
// shows (screen.olines). Every cell drawn here is marked in that record with an attribute no real
// cell has (MARK) and the colours it was given. So:
//  - when blessed has something else to put there (the pane scrolled, a notice came), the cell
//    differs from the record and blessed repaints it; this overlay then draws what belongs there;
//  - a marked cell that no picture covers any more is repainted by blessed at once (its line is
//    marked dirty and drawn again), so no stale colour is left behind;
//  - a cell that already shows the right colours is not written again: keystrokes do not resend
//    the picture. The marks move with blessed's lines when it scrolls a region (smartCSR).
// What goes out is numbers and one fixed glyph: no text from the network reaches the terminal here.

import type blessed from 'blessed';
import type { ImageCells } from './image-cells.ts';

const UPPER_HALF = '\u2580';
/** An attribute blessed never produces (its attributes are non-negative bit fields). */
const MARK = -1;

export interface OverlayCell {
  x: number;
  y: number;
  /** SGR parameters: 38;2;R;G;B;48;2;R;G;B. */
  sgr: string;
}

/** A picture in a scrolling box: where its first row is in the box's content, and how far in. */
export interface PicturePlacement {
  /** The content line (counting '\n's, before wrapping) of the picture's first row. */
  line: number;
  /** Columns of indent before the picture. */
  column: number;
  image: ImageCells;
}

type Cell = [number, string];
interface ScreenInternals {
  olines: Cell[][];
  lines: Array<Cell[] & { dirty?: boolean }>;
  draw(start: number, end: number): void;
  tput: { sc(): string; rc(): string; cup(y: number, x: number): string };
  program: { _write(text: string): unknown };
}
interface BoxInternals {
  lpos?: { xi: number; xl: number; yi: number; yl: number };
  itop: number;
  ibottom: number;
  ileft: number;
  iright: number;
  childBase: number;
  scrollbar?: unknown;
  _clines?: { ftor: number[][] };
  visible: boolean;
}

export function sgrOf([top, bottom]: ImageCells['cells'][number][number]): string {
  return `38;2;${top[0]};${top[1]};${top[2]};48;2;${bottom[0]};${bottom[1]};${bottom[2]}`;
}

/** The screen cells of the pictures that are visible in `box` as it was last rendered. */
export function pictureCells(box: blessed.Widgets.BoxElement, placements: readonly PicturePlacement[]): OverlayCell[] {
  const el = box as unknown as BoxInternals;
  const pos = el.lpos;
  const ftor = el._clines?.ftor;
  if (!pos || !ftor || !el.visible) return [];
  const top = pos.yi + el.itop;
  const bottom = pos.yl - el.ibottom;
  const left = pos.xi + el.ileft;
  // The scrollbar takes the last inner column.
  const right = pos.xl - el.iright - (el.scrollbar ? 1 : 0);
  const cells: OverlayCell[] = [];
  for (const { line, column, image } of placements) {
    image.cells.forEach((row, r) => {
      const fake = ftor[line + r];
      // A row blessed wrapped is not where the picture is: leave it to blessed.
      if (fake?.length !== 1) return;
      const y = top + fake[0]! - el.childBase;
      if (y < top || y >= bottom) return;
      row.forEach((pair, c) => {
        const x = left + column + c;
        if (x < right) cells.push({ x, y, sgr: sgrOf(pair) });
      });
    });
  }
  return cells;
}

export class TrueColorOverlay {
  constructor(private readonly screen: blessed.Widgets.Screen) {}

  /** Call right after screen.render(): these cells, and no others, show 24-bit colours. */
  draw(cells: readonly OverlayCell[]): void {
    const screen = this.screen as unknown as ScreenInternals;
    const { olines, lines } = screen;
    const width = olines[0]?.length ?? 0;
    const wanted = new Set(cells.map((cell) => cell.y * width + cell.x));
    // Cells drawn here before that no picture covers now: blessed repaints them.
    let first = Infinity;
    let last = -1;
    olines.forEach((row, y) => {
      row.forEach((cell, x) => {
        if (cell[0] !== MARK || wanted.has(y * width + x)) return;
        cell[1] = '';
        lines[y]!.dirty = true;
        first = Math.min(first, y);
        last = Math.max(last, y);
      });
    });
    if (last >= 0) screen.draw(first, last);

    let out = '';
    let at = { x: -1, y: -1 };
    for (const { x, y, sgr } of [...cells].sort((a, b) => a.y - b.y || a.x - b.x)) {
      const record = olines[y]?.[x];
      if (!record || (record[0] === MARK && record[1] === sgr)) continue;
      if (at.y !== y || at.x !== x) out += screen.tput.cup(y, x);
      out += `\u001b[${sgr}m${UPPER_HALF}`;
      record[0] = MARK;
      record[1] = sgr;
      at = { x: x + 1, y };
    }
    if (out !== '') screen.program._write(screen.tput.sc() + out + '\u001b[m' + screen.tput.rc());
  }
}
