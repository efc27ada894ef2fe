// The shared parse of blessed-speedups.ts: boxes in different screens that show the same text share
// one parse only where every setting blessed's parse reads is the same. Each shared box is checked
// against a box of the same screen and settings that parses on its own, through setting changes.

import { expect } from 'chai';
import blessed from 'blessed';
import { PassThrough, Writable } from 'node:stream';
import { installBlessedSpeedups, shareParsedContent } from '../../src/ui/blessed-speedups.ts';

installBlessedSpeedups();

function screenOf(cols: number, colors: number): blessed.Widgets.Screen {
  const output = Object.assign(new Writable({ write: (_chunk, _encoding, callback) => callback() }), { columns: cols, rows: 20, isTTY: true });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const program = blessed.program({ input, output, terminal: 'xterm-256color', tput: true } as never);
  const screen = blessed.screen({ program, fullUnicode: true, warnings: false } as never);
  (screen as unknown as { tput: { colors: number } }).tput.colors = colors;
  return screen;
}

type Parsed = { _clines: string[] & { fake: string[] } };

/** A shared box and one beside it that parses alone, with the same options. */
function pair(screen: blessed.Widgets.Screen, options: blessed.Widgets.BoxOptions): [blessed.Widgets.BoxElement, blessed.Widgets.BoxElement] {
  const shared = blessed.box({ parent: screen, tags: true, top: 0, left: 0, height: 10, ...options });
  const alone = blessed.box({ parent: screen, tags: true, top: 10, left: 0, height: 10, ...options });
  shareParsedContent(shared);
  return [shared, alone];
}

function expectSameParse(shared: blessed.Widgets.BoxElement, alone: blessed.Widgets.BoxElement, why: string): void {
  const a = (shared as unknown as Parsed)._clines;
  const b = (alone as unknown as Parsed)._clines;
  expect([...a], why).to.deep.equal([...b]);
  expect(a.fake, why).to.deep.equal(b.fake);
}

const TEXT = `{bold}ada{/bold} a line long enough to wrap at the narrower width, twice over at least\n{#ff8800-fg}orange{/} and {red-bg}red{/red-bg}\ttab\n{center}middle{/center} ${'word '.repeat(12)}`;

describe('ui/blessed-speedups: a parse shared between screens', () => {
  it('is the parse each box would make alone, whatever width, colours and settings each has', () => {
    const wide = screenOf(80, 256);
    const narrow = screenOf(30, 256);
    const fewColors = screenOf(80, 8);
    const other = screenOf(80, 256);
    const boxes = [pair(wide, { width: 60 }), pair(narrow, { width: 24 }), pair(fewColors, { width: 60 }), pair(wide, { width: 60, align: 'right' })];
    // Another screen's box with the first one's settings, which stay as they were.
    const [twin, twinAlone] = pair(other, { width: 60 });
    for (const [shared, alone] of boxes) {
      shared.setContent(TEXT);
      alone.setContent(TEXT);
    }
    for (const [i, [shared, alone]] of boxes.entries()) expectSameParse(shared, alone, `box ${i}`);

    // A setting changes on one shared box only (then back): its parse follows, the others keep theirs.
    const [first, firstAlone] = boxes[0]!;
    for (const change of [{ width: 40 }, { align: 'center' }, { parseTags: false }, { wrap: false }] as const) {
      // The text's last parse is the twin's, made with the first box's settings before the change.
      for (const box of [first, firstAlone, twin, twinAlone]) {
        box.setContent(`${TEXT}  `);
        box.setContent(TEXT);
      }
      expectSameParse(twin, twinAlone, 'the twin');
      const before = Object.fromEntries(Object.keys(change).map((key) => [key, (first as unknown as Record<string, unknown>)[key]]));
      Object.assign(first, change);
      Object.assign(firstAlone, change);
      first.setContent(`${TEXT} `);
      firstAlone.setContent(`${TEXT} `);
      first.setContent(TEXT);
      firstAlone.setContent(TEXT);
      expectSameParse(first, firstAlone, JSON.stringify(change));
      for (const [shared, alone] of boxes.slice(1)) {
        shared.setContent(TEXT);
        alone.setContent(TEXT);
        expectSameParse(shared, alone, `others after ${JSON.stringify(change)}`);
      }
      // Back as it was: each change is tried alone against the twin's settings.
      Object.assign(first, before);
      Object.assign(firstAlone, before);
    }
    for (const screen of [wide, narrow, fewColors, other]) screen.destroy();
  });
});
