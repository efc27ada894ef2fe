// What only a shared store must do: its small tables reach the database behind the memory copy,
// two servers' stores hear each other's changes and messages (in id order, each once), two started
// at once migrate once, and a database that is away is reported, refused, and recovered from.

import { expect } from 'chai';
import pg from 'pg';
import { createServer } from 'node:net';
import { ParlorError } from '../../src/protocol/errors.ts';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.ts';
import type { NewMessage, StoredMessage } from '../../src/store/store.ts';
import { freshDatabase, postgresMissing, skipOrFailPostgres, startPostgres } from '../helpers/postgres.ts';

const say = (from: string, text: string): NewMessage => ({ room: 'lobby', to: null, from, text, ts: 1000 });

/** Resolves once `check` holds, polling; rejects after `waitMs` with what it last saw. */
async function eventually(check: () => boolean, what: string, waitMs = 10_000): Promise<void> {
  const until = Date.now() + waitMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('store/postgres shared by several servers', function () {
  // The first test also makes the run's PostgreSQL cluster (initdb), and one stops and starts it.
  this.timeout(60_000);
  const opened: PostgresStore[] = [];
  const open = async (url: string) => {
    const store = await PostgresStore.open(url);
    opened.push(store);
    return store;
  };
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  it('writes the small tables through to the database: a store opened later reads them', async function () {
    const url = await freshDatabase(this);
    const first = await open(url);
    first.putUser({ key: 'ada', name: 'Ada', fingerprint: 'SHA256:a', lastSeen: 1, lastMessageAt: null });
    first.createRoom({ key: 'ops', name: 'Ops', passwordHash: null, createdBy: 'ada', createdAt: 2 });
    first.block('ada', 'bob');
    first.putBan({ fingerprint: 'SHA256:bob', name: 'Bob', reason: 'spam', bannedBy: 'Ada', at: 3 });
    first.markRoomSecret('ops');
    const [stored] = await first.appendMessages([say('ada', 'kept')]);
    await first.close();
    const second = await open(url);
    expect(second.getUser('ada')).to.deep.equal({ key: 'ada', name: 'Ada', fingerprint: 'SHA256:a', lastSeen: 1, lastMessageAt: 1000 });
    expect(second.getRoom('ops')?.name).to.equal('Ops');
    expect(second.listBlocks()).to.deep.equal([['ada', 'bob']]);
    expect(second.listBans().map((ban) => ban.fingerprint)).to.deep.equal(['SHA256:bob']);
    expect(second.isRoomSecret('ops')).to.equal(true);
    expect((await second.roomHistory('lobby', { limit: 5 })).map((m) => m.id)).to.deep.equal([stored!.id]);
  });

  it("hears another store's changes to users, blocks and bans", async function () {
    const url = await freshDatabase(this);
    const [a, b] = [await open(url), await open(url)];
    const changed: string[] = [];
    b.onRowChange((table, key) => changed.push(`${table}:${key}`));
    a.putUser({ key: 'cy', name: 'Cy', fingerprint: 'SHA256:c', lastSeen: 1, lastMessageAt: null });
    a.block('cy', 'dee');
    a.putBan({ fingerprint: 'SHA256:e', name: 'Eve', reason: 'spam', bannedBy: 'Cy', at: 3 });
    await eventually(() => b.listBans().length === 1, 'the ban reached the other store');
    expect(b.getUser('cy')?.name).to.equal('Cy');
    expect(b.listBlocks()).to.deep.equal([['cy', 'dee']]);
    a.unblock('cy', 'dee');
    a.deleteBan('SHA256:e');
    await eventually(() => b.listBans().length === 0 && b.listBlocks().length === 0, 'the unban and unblock reached it');
    expect(changed).to.include.members(['user:cy', 'ban:SHA256:e']);
  });

  it("delivers every store's messages to every store, in id order, each once", async function () {
    const url = await freshDatabase(this);
    const stores = [await open(url), await open(url), await open(url)];
    const seen = stores.map(() => [] as StoredMessage[]);
    stores.forEach((store, index) => {
      store.subscribe((messages) => seen[index]!.push(...messages));
    });
    const appended = await Promise.all(
      stores.map(async (store, index) => {
        const mine: StoredMessage[] = [];
        for (let round = 0; round < 20; round++) mine.push(...(await store.appendMessages([say(`s${index}`, `${round}a`), say(`s${index}`, `${round}b`)])));
        return mine;
      }),
    );
    const all = appended.flat().map((m) => m.id).sort((x, y) => x - y);
    expect(all).to.have.length(120);
    for (const index of [0, 1, 2]) {
      await eventually(() => seen[index]!.length >= 120, `store ${index} heard all 120`);
      expect(seen[index]!.map((m) => m.id), `store ${index}: each once, in id order`).to.deep.equal(all);
    }
  });

  it('migrates once when two servers open the same new database at the same moment', async function () {
    const url = await freshDatabase(this);
    const [a, b] = await Promise.all([open(url), open(url)]);
    expect(a.kind).to.equal(b.kind);
    const client = new pg.Client(url);
    await client.connect();
    const { rows } = await client.query<{ version: number }>('SELECT version FROM parlor_schema ORDER BY version');
    await client.end();
    expect(rows.map((row) => row.version)).to.deep.equal(POSTGRES_MIGRATIONS.map((_, index) => index + 1));
  });

  it('says DATABASE_UNAVAILABLE with the address it tried when nothing answers there', async function () {
    if (postgresMissing()) skipOrFailPostgres(this);
    // A port that was free a moment ago: nothing listens on it.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: free } = probe.address() as { port: number };
        probe.close(() => resolve(free));
      });
    });
    const error = await PostgresStore.open(`postgres://parlor:secret@127.0.0.1:${port}/chat`).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(ParlorError);
    expect((error as ParlorError).code).to.equal('DATABASE_UNAVAILABLE');
    expect((error as ParlorError).message).to.include(`127.0.0.1:${port}/chat`).and.not.include('secret');
  });

  it('refuses messages (retryable) while the database is stopped, and takes them again once it is back', async function () {
    if (postgresMissing()) skipOrFailPostgres(this);
    const cluster = await startPostgres();
    const store = await open(cluster.createDatabase('restart'));
    const heard: StoredMessage[] = [];
    store.subscribe((messages) => heard.push(...messages));
    const [before] = await store.appendMessages([say('ada', 'before')]);
    cluster.stop('fast');
    const error = await store.appendMessages([say('ada', 'while away')]).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect((error as ParlorError).code).to.equal('DATABASE_UNAVAILABLE');
    expect((error as ParlorError).retryAfterMs).to.be.a('number');
    store.putUser({ key: 'ada', name: 'Ada', fingerprint: 'SHA256:a', lastSeen: 9, lastMessageAt: null });
    cluster.start();
    let after: StoredMessage | undefined;
    for (let attempt = 0; attempt < 100 && after === undefined; attempt++) {
      after = await store.appendMessages([say('ada', 'after')]).then(
        ([stored]) => stored,
        () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100)),
      );
    }
    expect(after, 'stored once the database came back').to.not.equal(undefined);
    expect((await store.roomHistory('lobby', { limit: 10 })).map((m) => m.text)).to.deep.equal(['before', 'after']);
    await eventually(() => heard.some((m) => m.id === after!.id), 'its own message came through the feed after the restart');
    expect(heard.map((m) => m.id)).to.deep.equal([before!.id, after!.id]);
    // The user written while the database was away reached it once it was back.
    await store.close();
    const reopened = await open(cluster.url.replace(/\/postgres$/, '/restart'));
    expect(reopened.getUser('ada')?.lastSeen).to.equal(9);
  });
});
