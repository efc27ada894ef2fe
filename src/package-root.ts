// parlor's own folder (the nearest one above this module with a package.json), and the files in
// it that parlor reads or starts at run time. Found by walking up rather than by a fixed number
// of "../": the same module runs from src/ (tsx), from dist/ (tsc's output, same layout) and
// from dist/bundle/ (one bundle of dist/ for a fast start), each at a different depth.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`parlor cannot find its package root: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

export const PACKAGE_ROOT = packageRoot();

/** The `parlor` command, as a UI starts it to host a server. */
export const PARLOR_BIN = join(PACKAGE_ROOT, 'bin', 'parlor.js');

/**
 * A compiled module of dist/ (tsc's output), by its path under dist/: what runs in its own thread
 * (a worker, module hooks) is loaded from there in every layout, as it needs no loader and shares
 * no objects with the main thread's modules.
 */
export function compiledModule(path: string): URL {
  return pathToFileURL(join(PACKAGE_ROOT, 'dist', path));
}
