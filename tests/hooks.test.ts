// Root hooks: whatever a test started (servers, temp dirs) ends after it, even when it failed.

import { killServerProcesses } from './helpers/server-process.ts';
import { removeTempDirs } from './helpers/temp-dir.ts';
import { stopPostgresClusters } from './helpers/postgres.ts';

afterEach(async () => {
  await killServerProcesses();
});

after(() => {
  stopPostgresClusters();
  removeTempDirs();
});
