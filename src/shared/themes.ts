// The four themes of pyChat (nord is the default), as colours for roles rather than for widgets,
// so a screen asks for "dim" or "mention" and a theme switch repaints everything. NO_COLOR
// (https://no-color.org) gives the monochrome theme: no colour at all, emphasis by bold and
// inverse only.

import { colorAtDepth, type ColorDepth } from './color-depth.ts';

export const THEME_NAMES = ['nord', 'dark', 'light', 'pure-black'] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

/** #rrggbb at 24-bit, an xterm palette index at 256 colours or fewer (see color-depth.ts). */
export type Color = string | number;

const ROLES = ['bg', 'fg', 'dim', 'accent', 'border', 'selectedBg', 'mention', 'error', 'warning', 'ok', 'bot', 'announce', 'statusBg', 'statusFg'] as const;
export type Role = (typeof ROLES)[number];

export type Theme = { name: ThemeName | 'no-color'; depth: ColorDepth; users: readonly (Color | undefined)[] } & Record<Role, Color | undefined>;

/**
 * A theme as written: its 24-bit colours, and its own picks among the terminal's 16 ANSI colours
 * (and, where 16 → 8 by dropping "bright" would make two colours of one element meet, among 8).
 */
interface Palette {
  hex: Record<Role, string>;
  users: readonly string[];
  ansi16: Record<Role, number>;
  users16: readonly number[];
  ansi8?: Partial<Record<Role, number>>;
}

// ANSI: 0 black, 1 red, 2 green, 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white, 8–15 their bright forms.
const DARK_ANSI16: Record<Role, number> = {
  bg: 0, fg: 7, dim: 8, accent: 6, border: 8, selectedBg: 8, mention: 11, error: 9, warning: 3, ok: 10, bot: 13, announce: 14, statusBg: 4, statusFg: 15,
};
// With 8 colours bright black is black: the dim text and the lines need a colour of their own.
const DARK_ANSI8: Partial<Record<Role, number>> = { dim: 7, border: 4, selectedBg: 4 };
const DARK_USERS16 = [6, 2, 3, 5, 9, 12, 14, 13];

const PALETTES: Record<ThemeName, Palette> = {
  // Nord: https://www.nordtheme.com/docs/colors-and-palettes
  nord: {
    hex: {
      bg: '#2e3440', fg: '#d8dee9', dim: '#7b88a1', accent: '#88c0d0', border: '#4c566a', selectedBg: '#434c5e', mention: '#ebcb8b', error: '#bf616a',
      warning: '#d08770', ok: '#a3be8c', bot: '#b48ead', announce: '#8fbcbb', statusBg: '#3b4252', statusFg: '#eceff4',
    },
    users: ['#88c0d0', '#a3be8c', '#ebcb8b', '#b48ead', '#d08770', '#81a1c1', '#8fbcbb', '#bf616a'],
    ansi16: DARK_ANSI16, users16: DARK_USERS16, ansi8: DARK_ANSI8,
  },
  dark: {
    hex: {
      bg: '#1e1e1e', fg: '#d4d4d4', dim: '#808080', accent: '#569cd6', border: '#5a5a5a', selectedBg: '#264f78', mention: '#dcdcaa', error: '#f44747',
      warning: '#ce9178', ok: '#6a9955', bot: '#c586c0', announce: '#4ec9b0', statusBg: '#007acc', statusFg: '#ffffff',
    },
    users: ['#4ec9b0', '#9cdcfe', '#dcdcaa', '#c586c0', '#ce9178', '#569cd6', '#b5cea8', '#d7ba7d'],
    ansi16: DARK_ANSI16, users16: DARK_USERS16, ansi8: DARK_ANSI8,
  },
  light: {
    hex: {
      bg: '#fafafa', fg: '#383a42', dim: '#80818a', accent: '#4078f2', border: '#a0a1a7', selectedBg: '#d7dae0', mention: '#c18401', error: '#e45649',
      warning: '#986801', ok: '#50a14f', bot: '#a626a4', announce: '#0184bc', statusBg: '#e5e5e6', statusFg: '#383a42',
    },
    users: ['#4078f2', '#50a14f', '#c18401', '#a626a4', '#e45649', '#0184bc', '#986801', '#ca1243'],
    ansi16: { bg: 15, fg: 0, dim: 8, accent: 4, border: 8, selectedBg: 7, mention: 3, error: 1, warning: 3, ok: 2, bot: 5, announce: 12, statusBg: 7, statusFg: 0 },
    users16: [4, 2, 3, 5, 1, 6, 3, 1],
    // With 8 colours bright white is white: lines, selection and the status bar need others.
    ansi8: { dim: 0, border: 0, selectedBg: 6, statusBg: 0, statusFg: 7 },
  },
  'pure-black': {
    hex: {
      bg: '#000000', fg: '#ffffff', dim: '#8a8a8a', accent: '#00d7ff', border: '#585858', selectedBg: '#303030', mention: '#ffd700', error: '#ff5f5f',
      warning: '#ffaf00', ok: '#5fff5f', bot: '#d787ff', announce: '#87ffd7', statusBg: '#1c1c1c', statusFg: '#ffffff',
    },
    users: ['#00d7ff', '#5fff5f', '#ffd700', '#d787ff', '#ff8700', '#5fafff', '#87ffd7', '#ff5f87'],
    ansi16: DARK_ANSI16, users16: DARK_USERS16, ansi8: DARK_ANSI8,
  },
};

/** A theme's colours as drawn at `depth`. */
export function themeAtDepth(name: ThemeName, depth: ColorDepth): Theme {
  const palette = PALETTES[name];
  const roles = Object.fromEntries(ROLES.map((role) => [role, colorAtDepth(palette.hex[role], depth, palette.ansi16[role], palette.ansi8?.[role])])) as Record<Role, Color>;
  return { name, depth, ...roles, users: palette.users.map((hex, i) => colorAtDepth(hex, depth, palette.users16[i]!)) };
}

const NO_COLOR_THEME: Theme = {
  name: 'no-color', depth: 8, bg: undefined, fg: undefined, dim: undefined, accent: undefined, border: undefined, selectedBg: undefined,
  mention: undefined, error: undefined, warning: undefined, ok: undefined, bot: undefined, announce: undefined, statusBg: undefined, statusFg: undefined,
  users: [undefined],
};

export function isThemeName(name: string): name is ThemeName {
  return (THEME_NAMES as readonly string[]).includes(name);
}

/** The theme to draw with: NO_COLOR wins over any choice, as the convention asks. */
export function resolveTheme(name: ThemeName, env: NodeJS.ProcessEnv = process.env, depth: ColorDepth = 24): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return NO_COLOR_THEME;
  return themeAtDepth(name, depth);
}

/** `text` (already safe for tags) in a colour; unchanged when the theme has no colour for it. */
export function paint(color: Color | undefined, text: string): string {
  return color === undefined ? text : `{${color}-fg}${text}{/${color}-fg}`;
}

/** The same name always gets the same colour, whoever's screen it is on. */
export function userColor(theme: Theme, name: string): Color | undefined {
  let hash = 0;
  for (const char of name.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return theme.users[hash % theme.users.length];
}

/** A blessed style object for a widget of this theme. */
export function boxStyle(theme: Theme): { fg?: Color; bg?: Color; border: { fg?: Color; bg?: Color }; label: { fg?: Color; bg?: Color } } {
  const colours = { ...(theme.fg !== undefined && { fg: theme.fg }), ...(theme.bg !== undefined && { bg: theme.bg }) };
  return {
    ...colours,
    border: { ...(theme.border !== undefined && { fg: theme.border }), ...(theme.bg !== undefined && { bg: theme.bg }) },
    label: { ...colours, ...(theme.accent !== undefined && { fg: theme.accent }) },
  };
}
