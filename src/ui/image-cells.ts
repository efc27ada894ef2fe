// Pictures in a terminal: each character cell shows two pixels, the upper half block (▀) in the
// top pixel's colour over a background of the bottom pixel's. sharp decodes (with a pixel limit,
// so a decompression bomb fails at its header), fits the picture into the space given and flattens
// transparency. The colours go out as 24-bit when the terminal says it takes them, else as the
// nearest of the xterm 256-colour palette. Pure apart from sharp: tested without a terminal.
// sharp (libvips) is imported at the first picture, not when the UI starts.

import { nearest256, type Rgb } from '../shared/color-depth.ts';

let loadedSharp: Promise<typeof import('sharp').default> | undefined;
const sharpModule = () => (loadedSharp ??= import('sharp').then((module) => module.default));

export type { Rgb };

export interface ImageCells {
  columns: number;
  rows: number;
  /** rows × columns of [top pixel, bottom pixel]. */
  cells: Array<Array<readonly [Rgb, Rgb]>>;
}

/** Pictures go out in 24-bit colour or in the 256 of the xterm palette. */
export type PictureDepth = 24 | 256;

const UPPER_HALF = '\u2580';

export async function imageToCells(input: string | Buffer, maxColumns: number, maxRows: number, background: Rgb = [0, 0, 0]): Promise<ImageCells> {
  const sharp = await sharpModule();
  const { data, info } = await sharp(input, { limitInputPixels: 40_000_000 })
    .rotate()
    .resize({ width: Math.max(1, maxColumns), height: Math.max(2, maxRows * 2), fit: 'inside' })
    .flatten({ background: { r: background[0], g: background[1], b: background[2] } })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const columns = info.width;
  const rows = Math.ceil(info.height / 2);
  const pixel = (x: number, y: number): Rgb => {
    if (y >= info.height) return background;
    const at = (y * info.width + x) * info.channels;
    return [data[at]!, data[at + 1]!, data[at + 2]!];
  };
  const cells: ImageCells['cells'] = [];
  for (let row = 0; row < rows; row++) {
    const line: Array<readonly [Rgb, Rgb]> = [];
    for (let x = 0; x < columns; x++) line.push([pixel(x, row * 2), pixel(x, row * 2 + 1)]);
    cells.push(line);
  }
  return { columns, rows, cells };
}

/** One line of raw terminal text per row, with SGR colours of the given depth, reset at each end. */
export function cellsToAnsi(image: ImageCells, depth: PictureDepth): string[] {
  const color = (rgb: Rgb, layer: 38 | 48) => (depth === 24 ? `${layer};2;${rgb[0]};${rgb[1]};${rgb[2]}` : `${layer};5;${nearest256(rgb)}`);
  return image.cells.map((row) => row.map(([top, bottom]) => `\u001b[${color(top, 38)};${color(bottom, 48)}m${UPPER_HALF}`).join('') + '\u001b[0m');
}

/** The same rows as blessed tags: blessed's own buffer holds 256 colours and picks the nearest. */
export function cellsToTags(image: ImageCells): string[] {
  const hex = (rgb: Rgb) => '#' + rgb.map((v) => v.toString(16).padStart(2, '0')).join('');
  return image.cells.map((row) => row.map(([top, bottom]) => `{${hex(top)}-fg}{${hex(bottom)}-bg}${UPPER_HALF}{/}`).join(''));
}
