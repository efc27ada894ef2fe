// /file and /groupfile check the file before anything is sent, in both UIs: a typo gets a plain
// answer with FILE_UNREADABLE instead of a transfer that fails.

import { access, constants, stat } from 'node:fs/promises';
import { ParlorError } from '../protocol/errors.ts';

/** The size of a regular file this process may read; FILE_UNREADABLE saying why otherwise. */
export async function readableFileSize(path: string): Promise<number> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new ParlorError('FILE_UNREADABLE', `${path} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}: give a file`);
    await access(path, constants.R_OK);
    return info.size;
  } catch (error) {
    if (error instanceof ParlorError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'you may not read it' : (error as Error).message;
    throw new ParlorError('FILE_UNREADABLE', `cannot send ${path}: ${why}${code !== undefined ? ` (${code})` : ''}`);
  }
}
