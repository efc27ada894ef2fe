// Renders the cat drawings in assets/cats/*.svg into cats/, the pictures that !meow sends by
// default. The project drew them itself, so cats/ holds nothing downloaded and nothing of unknown
// licence. Run it after changing a drawing: `node --import tsx scripts/draw-cats.ts`.
// Photographs (JPEG) and drawings with flat colour (PNG) are both represented, so !meow is tried
// on both formats by the tests.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('..', import.meta.url));
const sources = join(root, 'assets', 'cats');
const target = join(root, 'cats');
/** Drawn in flat colour with soft edges: JPEG suits these two, PNG the others. */
const AS_JPEG = new Set(['sleepy-grey', 'sitting-ginger']);

for (const file of (await readdir(sources)).filter((f) => f.endsWith('.svg')).sort()) {
  const stem = file.slice(0, -'.svg'.length);
  const image = sharp(join(sources, file), { density: 144 });
  const out = AS_JPEG.has(stem) ? join(target, `${stem}.jpg`) : join(target, `${stem}.png`);
  await (AS_JPEG.has(stem) ? image.jpeg({ quality: 88, mozjpeg: true }) : image.png({ compressionLevel: 9 })).toFile(out);
  console.log(`${out}`);
}
