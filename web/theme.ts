// The terminal UI's four themes, from the same palettes (src/shared/themes.ts), as CSS custom
// properties: a switch repaints the whole page without reloading it.

import { isThemeName, resolveTheme, userColor, type Color, type Theme } from '../src/shared/themes.ts';

// At 24-bit depth (the default) every colour is a #rrggbb string.
let current: Theme = resolveTheme('nord', {});

export function applyTheme(name: string): void {
  current = resolveTheme(isThemeName(name) ? name : 'nord', {});
  const root = document.documentElement;
  root.dataset.theme = current.name;
  const colours: Record<string, Color | undefined> = {
    bg: current.bg, fg: current.fg, dim: current.dim, accent: current.accent, border: current.border, selected: current.selectedBg,
    mention: current.mention, error: current.error, warning: current.warning, ok: current.ok, bot: current.bot, announce: current.announce,
    'status-bg': current.statusBg, 'status-fg': current.statusFg,
  };
  for (const [name, value] of Object.entries(colours)) if (value !== undefined) root.style.setProperty(`--${name}`, String(value));
  root.style.colorScheme = current.name === 'light' ? 'light' : 'dark';
  const select = document.getElementById('theme') as HTMLSelectElement | null;
  if (select) select.value = current.name;
}

export function nameColour(name: string): string {
  const colour = userColor(current, name);
  return colour === undefined ? 'inherit' : String(colour);
}
