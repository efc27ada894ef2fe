#!/usr/bin/env node
// The one `parlor` binary. parlor runs its TypeScript sources through tsx's loader, so a clone
// works with `npx parlor` straight after `npm install`, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
