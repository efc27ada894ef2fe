// How many colours the terminal really shows, and a theme's colours brought down to that many.
// blessed reads TERM=tmux-256color and screen-256color as 8 colours (it looks in
// /usr/share/terminfo only and falls back to its own xterm entry), so the UI asks terminfo itself
// (`tput colors`), COLORTERM and the TERM name, and tells blessed. Pure: no terminal, no blessed;
// the web client reduces palettes with the same code.

export type ColorDepth = 8 | 16 | 256 | 24;
export const COLOR_DEPTHS: readonly ColorDepth[] = [8, 16, 256, 24];

export type Rgb = readonly [number, number, number];

/**
 * The depth from what the environment says: COLORTERM=truecolor|24bit is 24-bit; a TERM name
 * ending in -256color, or terminfo's colour count (`tput colors`), gives the rest.
 */
export function detectColorDepth(env: NodeJS.ProcessEnv, terminfoColors?: number): ColorDepth {
  if (/^(truecolor|24bit)$/i.test(env.COLORTERM ?? '')) return 24;
  if (/-256colou?r$/i.test(env.TERM ?? '') || (terminfoColors ?? 0) >= 256) return 256;
  if ((terminfoColors ?? 0) >= 16 || /-16colou?r$/i.test(env.TERM ?? '')) return 16;
  return 8;
}

/** The nearest xterm-256 colour: the 6×6×6 cube or the grey ramp, whichever is closer. */
export function nearest256([r, g, b]: Rgb): number {
  const level = (v: number) => (v < 48 ? 0 : v < 115 ? 1 : Math.floor((v - 35) / 40));
  const steps = [0, 95, 135, 175, 215, 255];
  const [cr, cg, cb] = [level(r), level(g), level(b)];
  const cube: Rgb = [steps[cr]!, steps[cg]!, steps[cb]!];
  const greyIndex = Math.min(23, Math.max(0, Math.round(((r + g + b) / 3 - 8) / 10)));
  const greyLevel = 8 + greyIndex * 10;
  const distance = (c: Rgb) => (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2;
  return distance([greyLevel, greyLevel, greyLevel]) < distance(cube) ? 232 + greyIndex : 16 + 36 * cr + 6 * cg + cb;
}

export function hexToRgb(hex: string): Rgb {
  const value = Number.parseInt(hex.replace(/^#/, ''), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

/**
 * One colour at a depth: 24-bit keeps #rrggbb; 256 is an xterm palette index (16–255); 16 and 8
 * take the theme's own choice among the terminal's ANSI colours (0–15, 0–7), as no nearest match
 * can know which pairs must stay apart.
 */
export function colorAtDepth(hex: string, depth: ColorDepth, ansi16: number, ansi8?: number): string | number {
  if (depth === 24) return hex;
  if (depth === 256) return nearest256(hexToRgb(hex));
  if (depth === 16) return ansi16;
  return ansi8 ?? (ansi16 >= 8 ? ansi16 - 8 : ansi16);
}

/** blessed keeps 256 colours a cell: at 24-bit its widgets are drawn in those (pictures are not). */
export function blessedDepth(depth: ColorDepth): Exclude<ColorDepth, 24> {
  return depth === 24 ? 256 : depth;
}
