// `npm run build:cli`: bundles dist/ into dist/bundle/, which bin/parlor.js runs (see bundle-cli.ts).
import { fileURLToPath } from 'node:url';
import { bundleCli } from './bundle-cli.ts';

await bundleCli(fileURLToPath(new URL('..', import.meta.url)));
