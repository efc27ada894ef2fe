// The chat room's faster box render and screen diff against blessed's own: two screens get the same
// widgets and the same changes (text with tags, colours, wide and combining characters, tabs,
// scrolling, restyling, moves, resizes), one drawn by blessed and one by fast-box-render.ts; after
// every render their cells and the bytes written to the terminal must be the same (also where the
// fast diff compares only the cells the fast boxes changed).

import { expect } from 'chai';
import blessed from 'blessed';
import { Writable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { fastDrawCounts } from '../../src/ui/blessed-internals.ts';
import { fastBoxRender } from '../../src/ui/fast-box-render.ts';
import { fastScreenDraw } from '../../src/ui/fast-screen-draw.ts';
import { installTerminalWidths } from '../../src/ui/terminal-widths.ts';

// As both UIs run (app.ts, terminal-mode.ts): box lines as UTF-8, not the alternate character set.
process.env.NCURSES_NO_UTF8_ACS ??= '1';
// And with characters as wide as a terminal shows them (both sides: the change is blessed's own).
installTerminalWidths();

interface Side {
  screen: blessed.Widgets.Screen;
  boxes: blessed.Widgets.BoxElement[];
  written(): string;
}

function side(cols: number, rows: number, fast: boolean): Side {
  let text = '';
  const output = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        text += chunk.toString('utf8');
        callback();
      },
    }),
    { columns: cols, rows, isTTY: true },
  );
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  const program = blessed.program({ input, output, terminal: 'xterm-256color', tput: true } as never);
  const screen = blessed.screen({ program, smartCSR: true, fullUnicode: true, forceUnicode: true, autoPadding: true, warnings: false } as never);
  screen.program.hideCursor();
  const box = (options: blessed.Widgets.BoxOptions) => blessed.box({ parent: screen, tags: true, ...options });
  const boxes = [
    box({ left: 0, top: 0, width: 16, height: rows - 1, border: { type: 'line' }, label: ' Rooms ' }),
    box({ left: 16, top: 0, width: cols - 32, height: rows - 4, border: { type: 'line' }, scrollable: true, alwaysScroll: true, scrollbar: { ch: ' ', style: { inverse: true } } as never }),
    box({ left: cols - 16, top: 0, width: 16, height: rows - 1, border: { type: 'line' }, label: ' Members ' }),
    box({ left: 16, top: rows - 4, width: cols - 32, height: 3, border: { type: 'line' } }),
    box({ left: 0, top: rows - 1, width: cols, height: 1 }),
  ];
  if (fast) {
    for (const each of boxes) fastBoxRender(each);
    fastScreenDraw(screen);
  }
  return {
    screen,
    boxes,
    written: () => {
      (screen.program as unknown as { flush(): void }).flush();
      const out = text;
      text = '';
      return out;
    },
  };
}

/** A small seeded generator (mulberry32), so that a failure can be run again. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  'hello', 'world', 'a', 'parlor', 'x'.repeat(70), ' ', ' ', ' ', '  ', '\n', '\n', '\n\n', '\t',
  '{bold}', '{/bold}', '{red-fg}', '{/red-fg}', '{#ff8800-fg}', '{blue-bg}', '{/blue-bg}', '{inverse}', '{/inverse}', '{underline}', '{/}',
  '{open}', '{close}', '漢字', '😀', '☕', '🇩🇪', 'e\u0301', 'x\u1ab0', '\u200d', 'a\u0308b', '\u001b[31m', '\u001b[0m', '│', '─', '┌', '→', '▌', 'ä', '{bold}{green-fg}@ada{/green-fg}{/bold}',
];

function text(next: () => number): string {
  const count = Math.floor(next() * 60);
  let out = '';
  for (let i = 0; i < count; i++) out += PIECES[Math.floor(next() * PIECES.length)];
  return out;
}

/** The first cell where two screens differ, as row, column and both cells; '' when none does. */
function firstDifference(expected: blessed.Widgets.Screen, actual: blessed.Widgets.Screen): string {
  const cells = (screen: blessed.Widgets.Screen) => (screen as unknown as { lines: Array<Array<[number, string]>> }).lines;
  const [want, got] = [cells(expected), cells(actual)];
  for (let y = 0; y < want.length; y++) {
    for (let x = 0; x < want[y]!.length; x++) {
      const [a, b] = [want[y]![x]!, got[y]?.[x]];
      if (!b || a[0] !== b[0] || a[1] !== b[1]) return `row ${y}, column ${x}: blessed ${JSON.stringify(a)}, fast ${JSON.stringify(b)}`;
    }
  }
  return '';
}

describe('ui/fast-box-render', () => {
  for (const [cols, rows, seed] of [[100, 30, 1], [70, 20, 2], [64, 12, 3], [120, 40, 4]] as const) {
    it(`draws the same cells and writes the same bytes as blessed (${cols}x${rows}, seed ${seed})`, () => {
      const plain = side(cols, rows, false);
      const fast = side(cols, rows, true);
      const next = random(seed);
      const before = { ...fastDrawCounts };
      try {
        for (let step = 0; step < 400; step++) {
          const which = Math.floor(next() * 5);
          const op = next();
          const value = text(next);
          const amount = Math.floor(next() * 30) - 15;
          for (const { boxes } of [plain, fast]) {
            const box = boxes[which]!;
            if (op < 0.55) box.setContent(value);
            else if (op < 0.7) boxes[1]!.setScrollPerc(100);
            else if (op < 0.8) boxes[1]!.scroll(amount);
            else if (op < 0.85) box.style = { fg: amount & 7, bg: (amount + 3) & 7, bold: amount > 0, border: { fg: amount & 15 }, label: {}, scrollbar: { bg: amount & 15 } } as never;
            else if (op < 0.9) box.setLabel(value.replace(/\n/g, ' ').slice(0, 12));
            else if (op < 0.95 && which !== 4) {
              box.width = Math.max(3, Math.min(cols - (box.left as number), (box.width as number) + Math.sign(amount)));
              box.height = Math.max(3, Math.min(rows - 1 - (box.top as number), (box.height as number) + Math.sign(amount)));
            } else if (which === 3) {
              if (box.hidden) box.show();
              else box.hide();
            } else box.setContent(`${value}\n${value}`);
          }
          plain.screen.render();
          fast.screen.render();
          expect(firstDifference(plain.screen, fast.screen), `cells after step ${step}`).to.equal('');
          expect(JSON.stringify(fast.written()), `bytes after step ${step}`).to.equal(JSON.stringify(plain.written()));
        }
        // The fast paths did the drawing (not blessed's, which they hand unusual cases to).
        expect(fastDrawCounts.boxes - before.boxes).to.be.greaterThan(1000);
        expect(fastDrawCounts.screens - before.screens).to.be.greaterThan(300);
        // And rows were compared only where the fast boxes changed them (a scroll, a new style).
        expect(fastDrawCounts.changedCellRows - before.changedCellRows).to.be.greaterThan(100);
        // And boxes wrote rows from what they knew they had left there (a scroll, an unchanged line).
        expect(fastDrawCounts.rowsFromRecord - before.rowsFromRecord).to.be.greaterThan(1000);
      } finally {
        plain.screen.destroy();
        fast.screen.destroy();
      }
    });
  }
});
