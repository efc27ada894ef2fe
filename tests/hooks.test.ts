// Root hooks: dist/ and its bundle are built before the first test (tests that start `parlor` run
// the bundle); whatever a test started (servers, temp dirs) ends after it, even when it failed.

import { buildDist } from './helpers/build.ts';
import { killServerProcesses } from './helpers/server-process.ts';
import { killTmuxSessions } from './helpers/tmux.ts';
import { removeTempDirs } from './helpers/temp-dir.ts';
import { stopPostgresClusters } from './helpers/postgres.ts';

before(async function () {
  this.timeout(120_000);
  await buildDist();
});

afterEach(async () => {
  // A terminal a test opened in tmux ends with the test too, whichever file forgot to.
  killTmuxSessions();
  await killServerProcesses();
});

after(() => {
  stopPostgresClusters();
  removeTempDirs();
});
