// `parlor serve --database URL` (or PARLOR_DATABASE_URL): a database that does not answer is
// DATABASE_UNAVAILABLE at start, naming the address tried (never its password); one that answers
// is named in the listening event, and the data dir then holds only the identity.

import { expect } from 'chai';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase } from '../helpers/postgres.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

describe('cli/serve --database', function () {
  this.timeout(60_000);

  it('exits with DATABASE_UNAVAILABLE and the address it tried, from the flag or PARLOR_DATABASE_URL', async () => {
    const port = await closedPort();
    const url = `postgres://parlor:hunter2@127.0.0.1:${port}/chat`;
    for (const [args, env] of [
      [['--database', url], {}],
      [[], { PARLOR_DATABASE_URL: url }],
    ] as Array<[string[], NodeJS.ProcessEnv]>) {
      const { code, stderr } = await runParlor(['serve', '--host', '127.0.0.1', '--port', '0', '--no-discovery', '--no-mdns', '--data', tempDir('serve-db'), ...args], env);
      expect(code).to.not.equal(0);
      expect(stderr).to.include('DATABASE_UNAVAILABLE').and.include(`127.0.0.1:${port}/chat`).and.not.include('hunter2');
    }
  });

  it('refuses an address that is not a postgres URL with BAD_OPTION', async () => {
    const { code, stderr } = await runParlor(['serve', '--port', '0', '--no-discovery', '--no-mdns', '--ephemeral', '--database', 'mysql://x@127.0.0.1/db']);
    expect(code).to.not.equal(0);
    expect(stderr).to.include('BAD_OPTION');
  });

  it('keeps the chat in the database: the listening event names it, and no SQLite file is made', async function () {
    const url = await freshDatabase(this, 'serve');
    const data = tempDir('serve-db');
    const server = await startServerProcess(['--data', data, '--database', url]);
    const listening = server.events.find((event) => event.event === 'listening')!;
    expect(listening.database).to.equal(url);
    expect(listening.dataDir).to.equal(null);
    expect(existsSync(join(data, 'parlor.db'))).to.equal(false);
    expect(existsSync(join(data, 'server_ed25519.pem'))).to.equal(true);
  });
});
