// The 24-bit overlay against a real blessed screen whose terminal is a stream: what it writes,
// what it leaves alone, and that blessed repaints what the overlay no longer covers.

import { expect } from 'chai';
import blessed from 'blessed';
import { PassThrough } from 'node:stream';
import type { ImageCells } from '../../src/ui/image-cells.ts';
import { pictureCells, TrueColorOverlay } from '../../src/ui/true-color.ts';

function screenOnStream(): { screen: blessed.Widgets.Screen; written: () => string } {
  const output = Object.assign(new PassThrough(), { columns: 40, rows: 12, isTTY: true });
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => input });
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const screen = blessed.screen({ input: input as never, output: output as never, terminal: 'xterm-256color', warnings: false, fullUnicode: true, forceUnicode: true });
  return {
    screen,
    written: () => {
      const out = text;
      text = '';
      return out;
    },
  };
}

const image: ImageCells = {
  columns: 2,
  rows: 2,
  cells: [
    [[[255, 0, 0], [0, 0, 255]], [[1, 2, 3], [4, 5, 6]]],
    [[[10, 20, 30], [40, 50, 60]], [[70, 80, 90], [100, 110, 120]]],
  ],
};

describe('ui/true-color', () => {
  it('draws the visible cells of a picture in 24-bit once, and lets blessed repaint them when they scroll away', async () => {
    const { screen, written } = screenOnStream();
    try {
      const box = blessed.box({ parent: screen, top: 0, left: 0, width: 30, height: 8, border: { type: 'line' }, scrollable: true, tags: true, scrollbar: { ch: ' ' } as never });
      box.setContent(['head', '  ▀▀', '  ▀▀', 'after'].join('\n'));
      const overlay = new TrueColorOverlay(screen);
      screen.render();
      await new Promise((resolve) => setImmediate(resolve));
      written();
      const cells = pictureCells(box, [{ line: 1, column: 2, image }]);
      // Inside the border: row 1 of the content is screen row 2, column 2 is screen column 3.
      expect(cells.map(({ x, y }) => [x, y])).to.deep.equal([[3, 2], [4, 2], [3, 3], [4, 3]]);
      expect(cells[0]!.sgr).to.equal('38;2;255;0;0;48;2;0;0;255');
      overlay.draw(cells);
      await new Promise((resolve) => setImmediate(resolve));
      const first = written();
      expect(first.match(/38;2;/g)).to.have.length(4);
      expect(first).to.contain('\u001b[3;4H'); // row 3, column 4, counted from 1
      // Nothing changed: nothing is sent again.
      screen.render();
      overlay.draw(pictureCells(box, [{ line: 1, column: 2, image }]));
      await new Promise((resolve) => setImmediate(resolve));
      expect(written()).not.to.contain('38;2;');
      // The picture is gone: blessed repaints its cells, and no 24-bit cell is written.
      box.setContent(['head', 'plain text', 'more text', 'after'].join('\n'));
      screen.render();
      overlay.draw([]);
      await new Promise((resolve) => setImmediate(resolve));
      const after = written();
      expect(after).to.contain('plain').and.not.contain('38;2;');
      const olines = (screen as unknown as { olines: Array<Array<[number, string]>> }).olines;
      expect(olines.flat().some((cell) => cell[0] === -1)).to.equal(false);
    } finally {
      screen.destroy();
    }
  });

  it('leaves out rows scrolled above the box', () => {
    const { screen } = screenOnStream();
    try {
      const box = blessed.box({ parent: screen, top: 0, left: 0, width: 30, height: 5, border: { type: 'line' }, scrollable: true, tags: true });
      box.setContent(['head', '  ▀▀', '  ▀▀', 'a', 'b', 'c', 'd'].join('\n'));
      box.setScrollPerc(100);
      screen.render();
      // Three inner rows show lines 4-6: the picture (lines 1-2) is out of sight.
      expect(pictureCells(box, [{ line: 1, column: 2, image }])).to.deep.equal([]);
      box.scrollTo(0);
      screen.render();
      expect(pictureCells(box, [{ line: 1, column: 2, image }])).to.have.length(4);
    } finally {
      screen.destroy();
    }
  });
});
