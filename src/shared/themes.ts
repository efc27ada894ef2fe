// The four themes of pyChat (nord is the default), as colours for roles rather than for widgets,
// so a screen asks for "dim" or "mention" and a theme switch repaints everything. NO_COLOR
// (https://no-color.org) gives the monochrome theme: no colour at all, emphasis by bold and
// inverse only.

export const THEME_NAMES = ['nord', 'dark', 'light', 'pure-black'] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

export interface Theme {
  name: ThemeName | 'no-color';
  /** Colours as #rrggbb; undefined means the terminal's own default. */
  bg: string | undefined;
  fg: string | undefined;
  dim: string | undefined;
  accent: string | undefined;
  border: string | undefined;
  selectedBg: string | undefined;
  mention: string | undefined;
  error: string | undefined;
  warning: string | undefined;
  ok: string | undefined;
  bot: string | undefined;
  statusBg: string | undefined;
  statusFg: string | undefined;
  /** Names are coloured from this palette by a hash of the name. */
  users: readonly (string | undefined)[];
}

const THEMES: Record<ThemeName, Theme> = {
  // Nord: https://www.nordtheme.com/docs/colors-and-palettes
  nord: {
    name: 'nord', bg: '#2e3440', fg: '#d8dee9', dim: '#7b88a1', accent: '#88c0d0', border: '#4c566a', selectedBg: '#434c5e',
    mention: '#ebcb8b', error: '#bf616a', warning: '#d08770', ok: '#a3be8c', bot: '#b48ead', statusBg: '#3b4252', statusFg: '#eceff4',
    users: ['#88c0d0', '#a3be8c', '#ebcb8b', '#b48ead', '#d08770', '#81a1c1', '#8fbcbb', '#bf616a'],
  },
  dark: {
    name: 'dark', bg: '#1e1e1e', fg: '#d4d4d4', dim: '#808080', accent: '#569cd6', border: '#3c3c3c', selectedBg: '#264f78',
    mention: '#dcdcaa', error: '#f44747', warning: '#ce9178', ok: '#6a9955', bot: '#c586c0', statusBg: '#007acc', statusFg: '#ffffff',
    users: ['#4ec9b0', '#9cdcfe', '#dcdcaa', '#c586c0', '#ce9178', '#569cd6', '#b5cea8', '#d7ba7d'],
  },
  light: {
    name: 'light', bg: '#fafafa', fg: '#383a42', dim: '#a0a1a7', accent: '#4078f2', border: '#d0d0d0', selectedBg: '#e5e5e6',
    mention: '#c18401', error: '#e45649', warning: '#986801', ok: '#50a14f', bot: '#a626a4', statusBg: '#e5e5e6', statusFg: '#383a42',
    users: ['#4078f2', '#50a14f', '#c18401', '#a626a4', '#e45649', '#0184bc', '#986801', '#ca1243'],
  },
  'pure-black': {
    name: 'pure-black', bg: '#000000', fg: '#ffffff', dim: '#8a8a8a', accent: '#00d7ff', border: '#444444', selectedBg: '#303030',
    mention: '#ffd700', error: '#ff5f5f', warning: '#ffaf00', ok: '#5fff5f', bot: '#d787ff', statusBg: '#1c1c1c', statusFg: '#ffffff',
    users: ['#00d7ff', '#5fff5f', '#ffd700', '#d787ff', '#ff8700', '#5fafff', '#87ffd7', '#ff5f87'],
  },
};

const NO_COLOR_THEME: Theme = {
  name: 'no-color', bg: undefined, fg: undefined, dim: undefined, accent: undefined, border: undefined, selectedBg: undefined,
  mention: undefined, error: undefined, warning: undefined, ok: undefined, bot: undefined, statusBg: undefined, statusFg: undefined,
  users: [undefined],
};

export function isThemeName(name: string): name is ThemeName {
  return (THEME_NAMES as readonly string[]).includes(name);
}

/** The theme to draw with: NO_COLOR wins over any choice, as the convention asks. */
export function resolveTheme(name: ThemeName, env: NodeJS.ProcessEnv = process.env): Theme {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return NO_COLOR_THEME;
  return THEMES[name];
}

/** `text` (already safe for tags) in a colour; unchanged when the theme has no colour for it. */
export function paint(color: string | undefined, text: string): string {
  return color === undefined ? text : `{${color}-fg}${text}{/${color}-fg}`;
}

/** The same name always gets the same colour, whoever's screen it is on. */
export function userColor(theme: Theme, name: string): string | undefined {
  let hash = 0;
  for (const char of name.toLowerCase()) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return theme.users[hash % theme.users.length];
}

/** A blessed style object for a widget of this theme. */
export function boxStyle(theme: Theme): { fg?: string; bg?: string; border: { fg?: string; bg?: string }; label: { fg?: string; bg?: string } } {
  const colours = { ...(theme.fg !== undefined && { fg: theme.fg }), ...(theme.bg !== undefined && { bg: theme.bg }) };
  return {
    ...colours,
    border: { ...(theme.border !== undefined && { fg: theme.border }), ...(theme.bg !== undefined && { bg: theme.bg }) },
    label: { ...colours, ...(theme.accent !== undefined && { fg: theme.accent }) },
  };
}
