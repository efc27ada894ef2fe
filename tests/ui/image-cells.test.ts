import { expect } from 'chai';
import sharp from 'sharp';
import { nearest256 } from '../../src/shared/color-depth.ts';
import { cellsToAnsi, cellsToTags, imageToCells } from '../../src/ui/image-cells.ts';

/** A 4×4 picture: top half red, bottom half blue. */
async function twoColours(): Promise<Buffer> {
  const pixels = Buffer.alloc(4 * 4 * 3);
  for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) pixels.set(y < 2 ? [255, 0, 0] : [0, 0, 255], (y * 4 + x) * 3);
  return sharp(pixels, { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
}

describe('ui/image-cells', () => {
  it('turns two pixel rows into one row of half-block cells, fitted into the space given', async () => {
    const image = await imageToCells(await twoColours(), 4, 2);
    expect(image.columns).to.equal(4);
    expect(image.rows).to.equal(2);
    expect(image.cells[0]![0]).to.deep.equal([[255, 0, 0], [255, 0, 0]]);
    expect(image.cells[1]![3]).to.deep.equal([[0, 0, 255], [0, 0, 255]]);
    // Scaled down, each cell keeps its half's colour (resampling may blur the edge a little).
    const small = await imageToCells(await twoColours(), 2, 1);
    expect([small.columns, small.rows]).to.deep.equal([2, 1]);
    const [top, bottom] = small.cells[0]![0]!;
    expect(top[0]).to.be.above(200);
    expect(top[2]).to.be.below(50);
    expect(bottom[2]).to.be.above(200);
    expect(bottom[0]).to.be.below(50);
  });

  it('writes 24-bit or 256-colour escape sequences, and blessed tags', () => {
    const cell = [[255, 0, 0], [0, 0, 255]] as const;
    const image = { columns: 2, rows: 1, cells: [[cell, cell]] };
    expect(cellsToAnsi(image, 24)[0]).to.equal('\u001b[38;2;255;0;0;48;2;0;0;255m▀'.repeat(2) + '\u001b[0m');
    expect(cellsToAnsi(image, 256)[0]).to.equal('\u001b[38;5;196;48;5;21m▀'.repeat(2) + '\u001b[0m');
    expect(cellsToTags(image)[0]).to.equal('{#ff0000-fg}{#0000ff-bg}▀{/}'.repeat(2));
  });

  it('picks the nearest of the 256 colours, grey ramp included', () => {
    expect(nearest256([0, 0, 0])).to.equal(16);
    expect(nearest256([255, 255, 255])).to.equal(231);
    expect(nearest256([128, 128, 128])).to.equal(244);
    expect(nearest256([0, 255, 0])).to.equal(46);
  });

  it('refuses what is not a picture', async () => {
    let failed = false;
    await imageToCells(Buffer.from('not a picture'), 4, 4).catch(() => (failed = true));
    expect(failed).to.equal(true);
  });
});
