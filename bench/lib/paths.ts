import { fileURLToPath } from 'node:url';

/** The repository's root, whatever the current directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
