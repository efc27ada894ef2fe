// Where the page's built files live, and how they are built: web/ (TypeScript, no framework)
// bundled by esbuild into dist/web-page/ under the package root (the nearest package.json above
// this file), so `parlor web` works from a checkout, from compiled JS and from an installed package.
// `npm run build:web` builds it; `parlor web` builds it on first use when esbuild is at hand.

import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../package-root.ts';
import { ParlorError } from '../protocol/errors.ts';

export const PAGE_SOURCE_DIR = join(PACKAGE_ROOT, 'web');
export const PAGE_DIR = join(PACKAGE_ROOT, 'dist', 'web-page');
/** What the HTTP server serves, by URL path: nothing else is ever read from PAGE_DIR. */
export const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

export async function buildPage(options: { minify?: boolean } = {}): Promise<string> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new ParlorError('INTERNAL', `the web page is not built and esbuild is not installed: run npm run build:web in ${PACKAGE_ROOT}`);
  }
  mkdirSync(PAGE_DIR, { recursive: true });
  await esbuild.build({
    entryPoints: [join(PAGE_SOURCE_DIR, 'main.ts')],
    outfile: join(PAGE_DIR, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: options.minify ?? true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const file of ['index.html', 'app.css']) copyFileSync(join(PAGE_SOURCE_DIR, file), join(PAGE_DIR, file));
  return PAGE_DIR;
}

/** The built page's dir; built now if it is missing. */
export async function pageDir(): Promise<string> {
  if (Object.values(PAGE_FILES).every(({ file }) => existsSync(join(PAGE_DIR, file)))) return PAGE_DIR;
  return buildPage();
}
