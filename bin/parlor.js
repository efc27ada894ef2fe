#!/usr/bin/env node
// The one `parlor` binary: it runs the bundle of the compiled JavaScript, dist/bundle/ (built by
// `npm run build`, which `npm install` runs in a clone through `prepare`, and which a packed parlor
// ships; see scripts/bundle-cli.ts). Nothing here loads TypeScript: a start costs what plain node
// costs, plus parlor itself.
const main = new URL('../dist/bundle/cli/main.js', import.meta.url);

try {
  await import(main.href);
} catch (error) {
  // Only dist/ itself missing gets this advice: a module missing inside dist/ is a real error.
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(main.pathname)) {
    process.stderr.write('parlor is not built: run `npm run build` (or `npm install`) in its folder first\n');
    process.exit(1);
  }
  throw error;
}
