import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeTags, safeText } from '../../src/ui/safe-text.ts';
import { answerBell, DEFAULT_SETTINGS, loadSettings, rememberName, saveSettings, UI_SETTINGS_FILE } from '../../src/shared/settings.ts';
import { isThemeName, paint, resolveTheme, userColor } from '../../src/shared/themes.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('ui/settings, themes and safe text', () => {
  it('remembers theme, bell and the last name used on each server, and falls back to defaults for a damaged file', () => {
    const dir = tempDir();
    expect(loadSettings(dir)).to.deep.equal(DEFAULT_SETTINGS);
    const settings = loadSettings(dir);
    rememberName(settings, '127.0.0.1:7447', 'alice');
    rememberName(settings, '[::1]:9000', 'bob');
    rememberName(settings, '127.0.0.1:7447', 'ada');
    saveSettings(dir, { ...settings, theme: 'light', bell: 'all' });
    expect(loadSettings(dir)).to.deep.equal({ theme: 'light', bell: 'all', names: { '[::1]:9000': 'bob', '127.0.0.1:7447': 'ada' } });
    writeFileSync(join(dir, UI_SETTINGS_FILE), '{"theme":"hotdog","bell":"all"}');
    expect(loadSettings(dir)).to.deep.equal({ theme: 'nord', bell: 'all' });
    writeFileSync(join(dir, UI_SETTINGS_FILE), 'not json');
    expect(loadSettings(dir)).to.deep.equal(DEFAULT_SETTINGS);
  });

  it('/bell sets and keeps the mode when given, and says what rings either way', () => {
    const dir = tempDir();
    const ui = { settings: loadSettings(dir), saveSettings(): void { saveSettings(dir, this.settings); } };
    expect(answerBell(ui, undefined)).to.equal('bell: mentions (off, mentions: on DMs and mentions, all: on every message)');
    expect(answerBell(ui, 'all')).to.match(/^bell: all /);
    expect(loadSettings(dir).bell, 'kept in ui.json').to.equal('all');
  });

  it('has the four themes, nord by default, and none at all under NO_COLOR', () => {
    for (const name of ['nord', 'dark', 'light', 'pure-black']) expect(isThemeName(name)).to.equal(true);
    expect(resolveTheme('nord', {}).bg).to.equal('#2e3440');
    const plain = resolveTheme('nord', { NO_COLOR: '1' });
    expect(plain.name).to.equal('no-color');
    expect(paint(plain.error, 'x')).to.equal('x');
    expect(paint('#ff0000', 'x')).to.equal('{#ff0000-fg}x{/#ff0000-fg}');
    const nord = resolveTheme('nord', {});
    expect(userColor(nord, 'Alice')).to.equal(userColor(nord, 'alice'));
  });

  it('makes network text inert and its braces literal, so it cannot restyle the screen', () => {
    expect(escapeTags('{red-fg}x{/}')).to.equal('{open}red-fg{close}x{open}/{close}');
    expect(safeText('\u001b[2J{bold}\u202Eabc')).to.equal('^[[2J{open}bold{close}<U+202E>abc');
  });
});
