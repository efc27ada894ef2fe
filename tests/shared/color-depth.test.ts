import { expect } from 'chai';
import { COLOR_DEPTHS, colorAtDepth, detectColorDepth } from '../../src/shared/color-depth.ts';
import { THEME_NAMES, themeAtDepth, type Color, type Theme } from '../../src/shared/themes.ts';

/** Every element the UI draws, as the foreground and background it is drawn with. */
function elements(theme: Theme): Array<[string, Color | undefined, Color | undefined]> {
  const onBackground = (['fg', 'dim', 'accent', 'border', 'mention', 'error', 'warning', 'ok', 'bot', 'announce'] as const).map(
    (role): [string, Color | undefined, Color | undefined] => [`${role} text`, theme[role], theme.bg],
  );
  return [
    ...onBackground,
    ...theme.users.map((color, i): [string, Color | undefined, Color | undefined] => [`user colour ${i}`, color, theme.bg]),
    // The message pane's scrollbar is a column of the border colour on the background.
    ['scrollbar', theme.border, theme.bg],
    ['selected server', theme.fg, theme.selectedBg],
    ['status bar', theme.statusFg, theme.statusBg],
    ...(['ok', 'warning', 'error', 'accent'] as const).map((role): [string, Color | undefined, Color | undefined] => [`status bar ${role}`, theme[role], theme.statusBg]),
  ];
}

describe('ui/color-depth', () => {
  it('reads the depth from COLORTERM, the TERM name and terminfo, as tmux and screen set them', () => {
    expect(detectColorDepth({ COLORTERM: 'truecolor', TERM: 'tmux-256color' })).to.equal(24);
    expect(detectColorDepth({ COLORTERM: '24bit' })).to.equal(24);
    expect(detectColorDepth({ TERM: 'tmux-256color' })).to.equal(256);
    expect(detectColorDepth({ TERM: 'screen-256color' })).to.equal(256);
    expect(detectColorDepth({ TERM: 'screen' }, 256)).to.equal(256);
    expect(detectColorDepth({ TERM: 'linux' }, 8)).to.equal(8);
    expect(detectColorDepth({ TERM: 'rxvt-16color' })).to.equal(16);
    expect(detectColorDepth({ TERM: 'xterm' }, 16)).to.equal(16);
    expect(detectColorDepth({})).to.equal(8);
  });

  it('brings a colour down to the depth: hex, a palette index, or the theme’s ANSI pick', () => {
    expect(colorAtDepth('#ff0000', 24, 9)).to.equal('#ff0000');
    expect(colorAtDepth('#ff0000', 256, 9)).to.equal(196);
    expect(colorAtDepth('#ff0000', 16, 9)).to.equal(9);
    expect(colorAtDepth('#ff0000', 8, 9)).to.equal(1);
    expect(colorAtDepth('#ff0000', 8, 9, 3)).to.equal(3);
  });

  for (const name of THEME_NAMES) {
    for (const depth of COLOR_DEPTHS) {
      it(`${name} at ${depth === 24 ? '24-bit' : `${depth} colours`}: no element is drawn in the colour of its background`, () => {
        const theme = themeAtDepth(name, depth);
        for (const [element, fg, bg] of elements(theme)) {
          expect(fg, `${element}: a colour`).to.not.equal(undefined);
          expect(bg, `${element}: a background`).to.not.equal(undefined);
          expect(fg, `${name} at ${depth}: ${element} is ${String(fg)} on ${String(bg)}`).to.not.equal(bg);
          if (depth <= 16) expect(fg as number).to.be.within(0, depth - 1);
          if (depth === 256) expect(fg as number).to.be.within(16, 255);
        }
      });
    }
  }
});
