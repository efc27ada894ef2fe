// Temp dirs for the tests and the benchmarks alike (one module for both): made under the OS temp
// dir, or under a base given (e.g. /dev/shm, to keep a disk out of a bench's figure). A dir goes
// when its remove() is called, and whatever is left goes at the end: after the whole test run
// (removeTempDirs, from the root hook in tests/hooks.test.ts) and on process exit either way,
// which bench/lib/children.ts's signal handlers reach too.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const live = new Set<string>();
let installed = false;

export interface TempDir {
  path: string;
  /** Deletes the directory and everything in it (idempotent). */
  remove(): void;
}

export function makeTempDir(label: string, base = tmpdir()): TempDir {
  if (!installed) {
    installed = true;
    process.on('exit', removeTempDirs);
  }
  const path = mkdtempSync(join(base, `${label}-`));
  live.add(path);
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
      live.delete(path);
    },
  };
}

/** A fresh temp dir, removed after the whole run. */
export function tempDir(label = 'parlor'): string {
  return makeTempDir(label).path;
}

export function removeTempDirs(): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
}
