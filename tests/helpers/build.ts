// Tests that start `parlor` run bin/parlor.js, which runs the compiled dist/. The root hook builds
// dist/ before any test, so that a run of one test file never meets a dist/ older than src/. The
// build is incremental: with nothing changed it only compares the sources (under a second).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function buildDist(): void {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`the build (tsc -p tsconfig.build.json) failed:\n${output}`);
  }
}
