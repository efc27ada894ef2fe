import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** parlor's own version, from package.json: shown by --version and sent in the welcome. */
export const PARLOR_VERSION: string = (require('../package.json') as { version: string }).version;
