// The bundle that bin/parlor.js runs: dist/cli/main.js (tsc's output) and everything it imports,
// in a few files under dist/bundle/, with what it loads only when used (the terminal UI, the SSH
// front door, the web client...) split into chunks of their own. Node loads ~200 ES modules for a
// `parlor serve` from dist/ (about half of them zod's): bundled, a start is ~25 % shorter
// (`parlor send` ~290 → ~220 ms, `serve` to listening ~295 → ~225 ms on a 2-vCPU machine).
//
// Only the small pure-JS packages read at every start are bundled; the others stay in
// node_modules: native addons (better-sqlite3, sharp, ssh2), packages that find files beside
// themselves at run time (blessed, just-bash), and the rest, which only some commands load.
// Built by `npm run build`; tests/helpers/build.ts runs it after each incremental tsc.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';

const BUNDLED_PACKAGES = new Set(['commander', 'zod', 'unhomoglyph', 'lru-cache', 'p-limit', 'yocto-queue', 'dgram-as-promised']);

/** `zod/v4/core` → `zod`, `@scope/name/x` → `@scope/name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

const onlySmallPackages: Plugin = {
  name: 'only-small-packages',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => (BUNDLED_PACKAGES.has(packageName(args.path)) ? undefined : { path: args.path, external: true }));
  },
};

export async function bundleCli(root: string): Promise<void> {
  const esbuild = await import('esbuild');
  // Chunks are named by their content: last build's would otherwise stay beside this one's.
  rmSync(join(root, 'dist', 'bundle'), { recursive: true, force: true });
  await esbuild.build({
    entryPoints: [join(root, 'dist', 'cli', 'main.js')],
    outdir: join(root, 'dist', 'bundle'),
    outbase: join(root, 'dist'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    plugins: [onlySmallPackages],
    // commander is CommonJS: its require() of Node's own modules needs a require in an ES module.
    banner: { js: "import { createRequire as parlorCreateRequire } from 'node:module'; const require = parlorCreateRequire(import.meta.url);" },
    legalComments: 'none',
    logLevel: 'warning',
  });
}
