// What end-to-end encryption asks of both stores: sealed messages kept beside an empty text,
// identity keys by fingerprint, secret rooms; and a version-1 database upgraded in place.

import Database from 'better-sqlite3';
import { expect } from 'chai';
import { join } from 'node:path';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { DATABASE_FILE, MIGRATIONS, SqliteStore } from '../../src/store/sqlite-store.ts';
import type { ChatStore } from '../../src/store/store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { openPostgresStore } from '../helpers/postgres.ts';

for (const [label, open] of [
  ['sqlite', () => new SqliteStore(tempDir('store'))],
  ['memory', () => new MemoryStore()],
  ['postgres', openPostgresStore],
] as Array<[string, (context: Mocha.Context) => ChatStore | Promise<ChatStore>]>) {
  describe(`store/${label} end-to-end`, () => {
    let store: ChatStore;
    beforeEach(async function () {
      store = await open(this);
    });
    afterEach(async () => await store?.close());

    it('keeps a sealed message with its envelope, and a plain one without', async () => {
      const [sealed, plain] = (await store.appendMessages([
        { room: null, to: 'bob', from: 'ada', text: '', ts: 1, sealed: 'UEUyRQ==' },
        { room: null, to: 'bob', from: 'ada', text: 'hi', ts: 2 },
      ]));
      expect((await store.directHistory('bob', { limit: 5 }))).to.deep.equal([sealed, plain]);
      expect((await store.directHistory('bob', { limit: 5 }))[0]).to.include({ sealed: 'UEUyRQ==', text: '' });
      expect((await store.directHistory('bob', { limit: 5 }))[1]).to.not.have.property('sealed');
    });

    it('keeps identity keys by fingerprint and secret rooms', async () => {
      store.putIdentityKey('SHA256:a', { exponent: Buffer.from([1, 0, 1]), modulus: Buffer.from([0xc3, 0x01]) });
      expect(store.getIdentityKey('SHA256:a')).to.deep.equal({ exponent: Buffer.from([1, 0, 1]), modulus: Buffer.from([0xc3, 0x01]) });
      expect(store.getIdentityKey('SHA256:b')).to.equal(undefined);
      store.markRoomSecret('ops');
      store.markRoomSecret('ops');
      expect(store.isRoomSecret('ops')).to.equal(true);
      expect(store.isRoomSecret('lobby')).to.equal(false);
    });
  });
}

describe('store/sqlite migration to end-to-end', () => {
  it('upgrades a version-1 database in place and keeps its messages', () => {
    const dir = tempDir('store');
    const db = new Database(join(dir, DATABASE_FILE));
    db.exec(MIGRATIONS[0]!);
    db.pragma('user_version = 1');
    db.prepare("INSERT INTO messages (room, recipient, sender, text, ts) VALUES ('lobby', NULL, 'ada', 'old', 5)").run();
    db.close();
    const store = new SqliteStore(dir);
    expect(store.schemaVersion).to.equal(MIGRATIONS.length);
    expect(store.roomHistory('lobby', { limit: 5 })).to.deep.equal([{ id: 1, room: 'lobby', to: null, from: 'ada', text: 'old', ts: 5 }]);
    store.close();
  });
});
