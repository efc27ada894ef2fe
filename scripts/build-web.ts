// `npm run build:web`: bundles the web client's page (web/) into dist/web-page/ with esbuild.
import { buildPage } from '../src/web/page-bundle.ts';

process.stdout.write(`built ${await buildPage()}\n`);
