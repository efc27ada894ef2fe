// Colours under tmux's own TERM (tmux-256color), which blessed alone reads as 8 colours: the UI
// must draw in 256 colours there, its borders apart from the background, and a picture in colour.

import { expect } from 'chai';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, tmuxDefaultTerm } from '../helpers/tmux.ts';

interface Cell {
  ch: string;
  fg: string;
  bg: string;
}

/** A `capture-pane -e` screen as cells with the colours each was drawn in. */
function cells(screen: string): Cell[][] {
  return screen.split('\n').map((line) => {
    const out: Cell[] = [];
    let fg = 'default';
    let bg = 'default';
    const sgr = /\u001b\[([0-9;]*)m/y;
    for (let at = 0; at < line.length;) {
      sgr.lastIndex = at;
      const match = sgr.exec(line);
      if (match) {
        const params = match[1] === '' ? [0] : match[1]!.split(';').map(Number);
        for (let i = 0; i < params.length; i++) {
          const p = params[i]!;
          if (p === 0) [fg, bg] = ['default', 'default'];
          else if (p === 38 || p === 48) {
            const value = params[i + 1] === 5 ? `5;${params[i + 2]}` : `2;${params.slice(i + 2, i + 5).join(';')}`;
            i += params[i + 1] === 5 ? 2 : 4;
            if (p === 38) fg = value;
            else bg = value;
          } else if (p === 39) fg = 'default';
          else if (p === 49) bg = 'default';
          else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) fg = String(p);
          else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) bg = String(p);
        }
        at = sgr.lastIndex;
        continue;
      }
      const ch = String.fromCodePoint(line.codePointAt(at)!);
      out.push({ ch, fg, bg });
      at += ch.length;
    }
    return out;
  });
}

describe('ui colours under tmux with its default TERM', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  for (const theme of ['nord', 'dark', 'light', 'pure-black']) {
    it(`${theme}: draws in 256 colours, with borders apart from the background`, async () => {
      const term = tmuxDefaultTerm();
      expect(term).to.match(/256colou?r$/);
      const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
      const alice = await loggedInUi(server, 'alice', 0, { env: { TERM: term }, args: ['--theme', theme] });
      const screen = await alice.waitFor((text) => /38;5;\d+/.test(text), 10_000, true);
      const corner = cells(screen)[0]!.find((cell) => cell.ch === '┌');
      expect(corner, 'a pane border').to.not.equal(undefined);
      expect(corner!.fg).to.match(/^5;\d+$/);
      expect(corner!.bg).to.match(/^5;\d+$/);
      expect(corner!.fg).to.not.equal(corner!.bg);
      // Every text cell of the message pane, timestamps included, differs from its background.
      for (const row of cells(screen).slice(1, 18)) for (const cell of row) if (cell.ch.trim() !== '' && cell.fg !== 'default') expect(cell.fg, `"${cell.ch}"`).to.not.equal(cell.bg);
    });
  }

  it('draws a !meow picture in more than one colour', async () => {
    const term = tmuxDefaultTerm();
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedInUi(server, 'alice', 0, { width: 100, height: 30, env: { TERM: term } });
    alice.line('!meow');
    await alice.waitFor('picture saved:');
    const screen = await alice.waitFor((text) => text.includes('▀'), 10_000, true);
    const picture = cells(screen).flat().filter((cell) => cell.ch === '▀');
    const colours = new Set(picture.map((cell) => `${cell.fg}/${cell.bg}`));
    expect(colours.size).to.be.greaterThan(1);
    // From the 256-colour palette, not only the 8 a misread TERM leaves.
    expect([...colours].some((c) => /5;(1[6-9]|[2-9]\d|1\d\d|2[0-5]\d)\b/.test(c))).to.equal(true);
  });
});
