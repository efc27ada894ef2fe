// Tests that start `parlor` run bin/parlor.js, which runs the bundle of the compiled dist/. The
// root hook builds both before any test, so that a run of one test file never meets a build older
// than src/. tsc is incremental (with nothing changed it only compares the sources); the bundle
// is made again each time (~0.3 s).

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function buildDist(): Promise<void> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`the build (tsc -p tsconfig.build.json) failed:\n${output}`);
  }
  await bundleCli(REPO_ROOT);
}
