// `!meow`: a random picture from the cats folder, re-encoded (see reencode-image.ts) and sent to the
// caller alone. The folder is read at each call, so cats can be added while the server runs.

import { randomInt } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import { ParlorError } from '../protocol/errors.ts';
import type { CommandDefinition } from './definition.ts';
import { DEFAULT_REENCODE_LIMITS, reencodeImage, type ReencodeLimits } from './reencode-image.ts';

/** The cats that ship with parlor (drawn by the project: see cats/README.md). */
export const DEFAULT_CATS_DIR = join(PACKAGE_ROOT, 'cats');

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.avif', '.tif', '.tiff']);
/** A file larger than this is not read at all: no cat picture needs 20 MiB. */
const MAX_FILE_BYTES = 20 * 1024 * 1024;

export interface MeowOptions {
  catsDir?: string;
  limits?: ReencodeLimits;
}

export function meowCommand(options: MeowOptions = {}): CommandDefinition {
  const dir = options.catsDir ?? DEFAULT_CATS_DIR;
  const limits = options.limits ?? DEFAULT_REENCODE_LIMITS;
  return {
    name: 'meow',
    aliases: ['cat'],
    summary: 'sends you a picture of a cat',
    usage: '!meow',
    permission: 'everyone',
    cooldownMs: 2_000,
    timeoutMs: 10_000,
    maxOutputBytes: 1024 * 1024,
    run: async () => {
      const cats = await listCats(dir);
      if (cats.length === 0) throw new ParlorError('COMMAND_FAILED', 'there are no cat pictures on this server');
      const file = cats[randomInt(cats.length)]!;
      const image = await reencodeImage(await readCapped(join(dir, file)), limits);
      const stem = file.slice(0, file.length - extname(file).length);
      return { kind: 'image', bytes: image.bytes, type: image.type, name: `${stem}${image.type === 'image/png' ? '.png' : '.jpg'}`, width: image.width, height: image.height };
    },
  };
}

async function listCats(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase())).map((e) => e.name).sort();
  } catch (error) {
    throw new ParlorError('COMMAND_FAILED', `the cats folder cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { cause: error });
  }
}

async function readCapped(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size > MAX_FILE_BYTES) throw new ParlorError('IMAGE_INVALID', `the picture is ${size} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
