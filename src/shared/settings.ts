// What the UI remembers between runs, in ui.json next to the identity in the config dir: the
// theme, the bell, and the name last logged in with on each server (by HOST:PORT). A missing or damaged file means defaults.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { THEME_NAMES } from './themes.ts';

export const UI_SETTINGS_FILE = 'ui.json';
export const BELL_MODES = ['off', 'mentions', 'all'] as const;
export type BellMode = (typeof BELL_MODES)[number];

const settingsSchema = z.object({
  theme: z.enum(THEME_NAMES).catch('nord'),
  bell: z.enum(BELL_MODES).catch('mentions'),
  names: z.record(z.string().max(300), z.string().min(1).max(64)).optional().catch(undefined),
});
export type UiSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: UiSettings = { theme: 'nord', bell: 'mentions' };

export function loadSettings(configDir: string): UiSettings {
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(readFileSync(join(configDir, UI_SETTINGS_FILE), 'utf8')));
    return parsed.success ? parsed.data : { ...DEFAULT_SETTINGS };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/** Servers whose last name is remembered: the oldest are forgotten first. */
const REMEMBERED_SERVERS = 100;

/** Remembers `name` as the one last used at `address` (HOST:PORT). */
export function rememberName(settings: UiSettings, address: string, name: string): void {
  const names = { ...settings.names };
  delete names[address];
  names[address] = name;
  const kept = Object.entries(names).slice(-REMEMBERED_SERVERS);
  settings.names = Object.fromEntries(kept);
}

/** /bell [MODE]: the mode set and kept when one is given; what rings, either way. */
export function answerBell(ui: { settings: UiSettings; saveSettings(): void }, mode: BellMode | undefined): string {
  if (mode !== undefined) {
    ui.settings.bell = mode;
    ui.saveSettings();
  }
  return `bell: ${ui.settings.bell} (off, mentions: on DMs and mentions, all: on every message)`;
}

export function saveSettings(configDir: string, settings: UiSettings): void {
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const path = join(configDir, UI_SETTINGS_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 });
  renameSync(temp, path);
}
