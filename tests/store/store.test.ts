// One contract, both stores: what the router relies on must hold for SQLite and for memory alike.

import Database from 'better-sqlite3';
import { expect } from 'chai';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { DATABASE_FILE, MIGRATIONS, SqliteStore } from '../../src/store/sqlite-store.ts';
import { messageBytes, type ChatStore, type NewMessage } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { openPostgresStore } from '../helpers/postgres.ts';

const say = (room: string, from: string, text: string, ts = 1000): NewMessage => ({ room, to: null, from, text, ts });
const dm = (from: string, to: string, text: string, ts = 1000): NewMessage => ({ room: null, to, from, text, ts });

for (const [label, open] of [
  ['sqlite', () => new SqliteStore(tempDir('store'))],
  ['memory', () => new MemoryStore()],
  ['postgres', openPostgresStore],
] as Array<[string, (context: Mocha.Context) => ChatStore | Promise<ChatStore>]>) {
  describe(`store/${label}`, () => {
    let store: ChatStore;
    beforeEach(async function () {
      store = await open(this);
    });
    afterEach(async () => await store?.close());

    it('keeps users, replaces them whole, and touches last-seen', async () => {
      store.putUser({ key: 'ada', name: 'Ada', fingerprint: 'SHA256:a', lastSeen: 1, lastMessageAt: null });
      store.touchUser('ada', 5);
      expect(store.getUser('ada')).to.deep.equal({ key: 'ada', name: 'Ada', fingerprint: 'SHA256:a', lastSeen: 5, lastMessageAt: null });
      store.putUser({ key: 'ada', name: 'ADA', fingerprint: 'SHA256:b', lastSeen: 9, lastMessageAt: null });
      expect(store.getUser('ada')).to.include({ name: 'ADA', fingerprint: 'SHA256:b' });
      expect(store.getUser('nobody')).to.equal(undefined);
      expect(store.listUsers().map((u) => u.key)).to.deep.equal(['ada']);
    });

    it('keeps rooms with their password hash; creating an existing room changes nothing', async () => {
      store.createRoom({ key: 'ops', name: 'Ops', passwordHash: 'scrypt$x', createdBy: 'ada', createdAt: 3 });
      store.createRoom({ key: 'ops', name: 'OPS', passwordHash: null, createdBy: 'bob', createdAt: 4 });
      expect(store.getRoom('ops')).to.deep.equal({ key: 'ops', name: 'Ops', passwordHash: 'scrypt$x', createdBy: 'ada', createdAt: 3 });
      expect(store.listRooms()).to.have.length(1);
    });

    it('appends with increasing ids and returns room history oldest first, newest page', async () => {
      store.putUser({ key: 'ada', name: 'Ada', fingerprint: 'f', lastSeen: 1, lastMessageAt: null });
      const stored = (await store.appendMessages([say('lobby', 'ada', 'one'), say('other', 'ada', 'x'), say('lobby', 'ada', 'two'), say('lobby', 'ada', 'three', 7)]));
      expect(stored.map((m) => m.id)).to.deep.equal([...stored.map((m) => m.id)].sort((a, b) => a - b));
      expect((await store.roomHistory('lobby', { limit: 2 })).map((m) => m.text)).to.deep.equal(['two', 'three']);
      expect((await store.roomHistory('lobby', { limit: 10, before: stored[2]!.id })).map((m) => m.text)).to.deep.equal(['one']);
      expect((await store.roomHistory('lobby', { limit: 10, after: stored[0]!.id })).map((m) => m.text)).to.deep.equal(['two', 'three']);
      expect((await store.roomHistory('nowhere', { limit: 10 }))).to.deep.equal([]);
      expect(store.getUser('ada')!.lastMessageAt).to.equal(7);
    });

    it("finds a message by its sender's nonce, and only that sender's", async () => {
      const [first] = (await store.appendMessages([{ ...say('lobby', 'ada', 'once'), nonce: 'n0nce-0000000000001' }, say('lobby', 'ada', 'no nonce')]));
      expect((await store.findByNonce('ada', 'n0nce-0000000000001'))).to.deep.include({ id: first!.id, text: 'once', from: 'ada' });
      expect((await store.findByNonce('bob', 'n0nce-0000000000001'))).to.equal(undefined);
      expect((await store.findByNonce('ada', 'n0nce-0000000000002'))).to.equal(undefined);
      // Another sender may use the same nonce: it is theirs.
      const [theirs] = (await store.appendMessages([{ ...dm('bob', 'ada', 'mine'), nonce: 'n0nce-0000000000001' }]));
      expect((await store.findByNonce('bob', 'n0nce-0000000000001'))?.id).to.equal(theirs!.id);
    });

    it('stores a message with a nonce its sender used already once: the first comes back, marked repeated', async () => {
      store.putUser({ key: 'ada', name: 'Ada', fingerprint: 'f', lastSeen: 1, lastMessageAt: null });
      const nonce = 'again-0000000000001';
      // Twice in one call, and once more later.
      const [first, inSameCall, plain] = (await store.appendMessages([
        { ...say('lobby', 'ada', 'hello', 5), nonce },
        { ...say('lobby', 'ada', 'hello', 6), nonce },
        say('lobby', 'ada', 'no nonce', 7),
      ]));
      const [later] = (await store.appendMessages([{ ...say('lobby', 'ada', 'hello', 8), nonce }]));
      expect(first!.repeated).to.equal(undefined);
      expect(inSameCall).to.deep.include({ id: first!.id, ts: 5, repeated: true });
      expect(later).to.deep.include({ id: first!.id, ts: 5, repeated: true });
      expect(plain!.repeated).to.equal(undefined);
      expect((await store.roomHistory('lobby', { limit: 10 })).map((m) => m.text)).to.deep.equal(['hello', 'no nonce']);
      expect(store.getUser('ada')!.lastMessageAt, 'a repeat is not a new message').to.equal(7);
    });

    it('returns the direct messages to and from a user, and no one else', async () => {
      (await store.appendMessages([dm('ada', 'bob', 'hi bob'), dm('bob', 'ada', 'hi ada'), dm('cy', 'bob', 'not ada'), say('lobby', 'ada', 'public')]));
      const texts = (await store.directHistory('ada', { limit: 10 })).map((m) => m.text);
      expect(texts).to.deep.equal(['hi bob', 'hi ada']);
      expect((await store.directHistory('bob', { limit: 2 })).map((m) => m.text)).to.deep.equal(['hi ada', 'not ada']);
      expect((await store.directHistory('ada', { limit: 10 }))[0]).to.include({ room: null, to: 'bob', from: 'ada' });
    });

    it('returns one conversation by its two parties, either way, paged, whatever the other conversations hold', async () => {
      const withBob = (await store.appendMessages([dm('ada', 'bob', 'b1'), dm('bob', 'ada', 'b2'), dm('ada', 'bob', 'b3')]));
      (await store.appendMessages(Array.from({ length: 40 }, (_, i) => dm(i % 2 ? 'ada' : 'cy', i % 2 ? 'cy' : 'ada', `c${i}`))));
      (await store.appendMessages([dm('bob', 'cy', 'not ada'), dm('ada', 'ada', 'note to self')]));
      expect((await store.conversationHistory('ada', 'bob', { limit: 10 })).map((m) => m.text)).to.deep.equal(['b1', 'b2', 'b3']);
      expect((await store.conversationHistory('bob', 'ada', { limit: 2 })).map((m) => m.text)).to.deep.equal(['b2', 'b3']);
      expect((await store.conversationHistory('ada', 'bob', { limit: 2, before: withBob[1]!.id })).map((m) => m.text)).to.deep.equal(['b1']);
      expect((await store.conversationHistory('ada', 'bob', { limit: 10, after: withBob[0]!.id })).map((m) => m.text)).to.deep.equal(['b2', 'b3']);
      expect((await store.conversationHistory('ada', 'cy', { limit: 100 }))).to.have.length(40);
      expect((await store.conversationHistory('ada', 'ada', { limit: 10 })).map((m) => m.text)).to.deep.equal(['note to self']);
      expect((await store.conversationHistory('ada', 'dee', { limit: 10 }))).to.deep.equal([]);
    });

    it('stops a history page at maxBytes, with the message that passes it, newest kept', async () => {
      const long = (n: number) => `${n}`.padEnd(1000, '.');
      await store.appendMessages([1, 2, 3, 4, 5].map((n) => say('lobby', 'ada', long(n))));
      await store.appendMessages([1, 2, 3, 4, 5].map((n) => dm('ada', 'bob', long(n))));
      // Each message counts 1000 bytes of text and the wire overhead (messageBytes): the second passes 2000.
      const budget = 2 * messageBytes(say('lobby', 'ada', long(0))) - 1;
      expect((await store.roomHistory('lobby', { limit: 10, maxBytes: budget })).map((m) => m.text[0])).to.deep.equal(['4', '5']);
      expect((await store.directHistory('bob', { limit: 10, maxBytes: budget })).map((m) => m.text[0])).to.deep.equal(['4', '5']);
      expect(await store.roomHistory('lobby', { limit: 10 })).to.have.length(5);
    });

    it('keeps a released name until it is deleted', () => {
      const release = { key: 'ada', fingerprint: 'SHA256:old', releasedBy: 'Op', at: 5 };
      store.putNameRelease(release);
      expect(store.getNameRelease('ada')).to.deep.equal(release);
      expect(store.getNameRelease('bob')).to.equal(undefined);
      store.deleteNameRelease('ada');
      expect(store.getNameRelease('ada')).to.equal(undefined);
    });

    it('keeps blocks as pairs, once each', async () => {
      store.block('ada', 'bob');
      store.block('ada', 'bob');
      store.block('bob', 'cy');
      store.unblock('bob', 'cy');
      expect(store.listBlocks()).to.deep.equal([['ada', 'bob']]);
    });

    it('keeps bans by fingerprint, replaces one for the same key, and deletes it', async () => {
      const ban = { fingerprint: 'SHA256:bob', name: 'Bob', reason: 'spam', bannedBy: 'Op', at: 5 };
      store.putBan(ban);
      store.putBan({ ...ban, reason: 'more spam', at: 6 });
      store.putBan({ ...ban, fingerprint: 'SHA256:cy', name: 'Cy', at: 7 });
      expect(store.listBans()).to.deep.equal([
        { ...ban, reason: 'more spam', at: 6 },
        { ...ban, fingerprint: 'SHA256:cy', name: 'Cy', at: 7 },
      ]);
      store.deleteBan('SHA256:bob');
      store.deleteBan('SHA256:nobody');
      expect(store.listBans().map((b) => b.name)).to.deep.equal(['Cy']);
    });
  });
}

describe('store/sqlite on disk', () => {
  it('keeps everything across a reopen, at the current schema version', () => {
    const dir = tempDir('store');
    const first = new SqliteStore(dir);
    first.createRoom({ key: 'lobby', name: 'lobby', passwordHash: null, createdBy: null, createdAt: 1 });
    const [stored] = first.appendMessages([say('lobby', 'ada', 'kept')]);
    const [retryable] = first.appendMessages([{ ...say('lobby', 'ada', 'with a nonce'), nonce: 'kept-nonce-000000001' }]);
    first.block('ada', 'bob');
    first.putBan({ fingerprint: 'SHA256:bob', name: 'Bob', reason: 'spam', bannedBy: 'Op', at: 5 });
    first.close();
    const second = new SqliteStore(dir);
    expect(second.schemaVersion).to.equal(MIGRATIONS.length);
    expect(second.listBans().map((b) => b.fingerprint)).to.deep.equal(['SHA256:bob']);
    expect(second.roomHistory('lobby', { limit: 5 }).map((m) => m.id)).to.deep.equal([stored!.id, retryable!.id]);
    expect(second.findByNonce('ada', 'kept-nonce-000000001')?.id).to.equal(retryable!.id);
    expect(second.listBlocks()).to.deep.equal([['ada', 'bob']]);
    second.close();
  });

  it('migrates a version-4 database: its conversations are read through the new two-party index', () => {
    const dir = tempDir('store');
    const old = new Database(join(dir, DATABASE_FILE));
    for (const migration of MIGRATIONS.slice(0, 4)) old.exec(migration);
    old.pragma('user_version = 4');
    old.prepare("INSERT INTO messages (room, recipient, sender, text, ts) VALUES (NULL, 'bob', 'ada', 'before the upgrade', 1)").run();
    old.close();
    const store = new SqliteStore(dir);
    expect(store.schemaVersion).to.equal(MIGRATIONS.length);
    expect(store.conversationHistory('bob', 'ada', { limit: 5 }).map((m) => m.text)).to.deep.equal(['before the upgrade']);
    store.close();
    const reopened = new Database(join(dir, DATABASE_FILE), { readonly: true });
    const index = reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'messages_by_direct_pair'").get();
    reopened.close();
    expect(index).to.deep.equal({ name: 'messages_by_direct_pair' });
  });

  it('runs in WAL mode', () => {
    const store = new SqliteStore(tempDir('store'));
    expect((store as unknown as { db: { pragma(q: string, o: object): unknown } }).db.pragma('journal_mode', { simple: true })).to.equal('wal');
    store.close();
  });
});
