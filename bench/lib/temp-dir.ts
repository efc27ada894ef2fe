// Temporary directories for a benchmark (a server's SQLite data dir, a client config dir): made
// under the OS temp dir and removed by the bench when done, or on exit if it crashes first.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let installed = false;

function removeAll(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}

export interface TempDir {
  path: string;
  /** Deletes the directory and everything in it (idempotent). */
  remove(): void;
}

/** @param base where to make it: the OS temp dir unless given (e.g. /dev/shm to keep a disk out of a figure). */
export function makeTempDir(prefix: string, base = tmpdir()): TempDir {
  if (!installed) {
    installed = true;
    // Runs on process.exit too, which bench/lib/children.ts's signal handlers call.
    process.on('exit', removeAll);
  }
  const path = mkdtempSync(join(base, `parlor-bench-${prefix}-`));
  live.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      live.delete(path);
    },
  };
}
