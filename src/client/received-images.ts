// Pictures from the bot (`!meow`) are saved under receivedcats/ in the user's data dir. The name
// on disk is made here, not taken from the server: a safe stem from the server's name at most,
// an extension from a short list of image types, and never an existing file.

import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { ParlorError } from '../protocol/errors.ts';
import type { BotReply } from '../protocol/messages.ts';
import { numberedName } from './transfers/safe-file-name.ts';

export const RECEIVED_CATS_DIR = 'receivedcats';

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/webp': '.webp',
  'image/gif': '.gif',
};

type ImageReply = Extract<BotReply, { kind: 'image' }>;

/** Writes the picture and returns its path. */
export async function saveReceivedImage(image: ImageReply, dataDir: string, now = new Date()): Promise<string> {
  const extension = EXTENSIONS[image.mime.toLowerCase()];
  if (!extension) throw new ParlorError('IMAGE_INVALID', `the bot sent a picture of a type this client does not save (${image.mime.slice(0, 40)})`);
  const dir = join(dataDir, RECEIVED_CATS_DIR);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  const base = `${safeStem(image.name)}-${stamp}-${randomBytes(3).toString('hex')}`;
  const bytes = Buffer.from(image.data, 'base64');
  for (let n = 0; n < 100; n++) {
    const path = join(dir, numberedName(`${base}${extension}`, n));
    try {
      // 'wx': created here or not at all, so nothing already there is ever overwritten.
      const handle = await open(path, 'wx', 0o600);
      try {
        await handle.writeFile(bytes);
      } finally {
        await handle.close();
      }
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  throw new ParlorError('COMMAND_FAILED', `no free file name for the picture in ${dir}`);
}

/** Letters, digits, dash and underscore from the server's name, at most 40 of them; else "cat". */
function safeStem(name: string): string {
  const stem = name.replace(/\.[^.]*$/, '').normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40);
  return stem === '' ? 'cat' : stem;
}
