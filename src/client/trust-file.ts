// The plain-text trust files (known_servers, known_peers): read as lines, written whole. A user
// may read them and delete a line on purpose, so they stay text, one binding a line.

import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** The file's lines, without the empty one after the last newline; none when there is no file. */
export function readTrustLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Replaces the file through a rename, so a crash mid-write never leaves a half-written trust file. */
export function writeTrustLines(path: string, lines: readonly string[]): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, lines.join('\n') + '\n', { mode: 0o600 });
  renameSync(temp, path);
}
