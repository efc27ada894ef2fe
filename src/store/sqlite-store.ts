// The default store: SQLite through better-sqlite3, in WAL mode in the server's data dir.
//
// Durability: a message is acknowledged only after appendMessages() returns, i.e. after its
// transaction committed to the WAL. With synchronous=NORMAL a commit is in the WAL file (in the OS
// page cache) before the call returns, so it survives the server being killed (kill -9); only a
// power cut can lose the last commits, which FULL would protect at one fsync per batch.

import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toMessage, toRoom, toUser, type MessageRow, type RoomRow, type UserRow } from './rows.ts';
import { takeNewest, type BanRecord, type ChatStore, type HistoryQuery, type NameRelease, type NewMessage, type RoomRecord, type StoredIdentityKey, type StoredMessage, type UserRecord } from './store.ts';

export const DATABASE_FILE = 'parlor.db';

/** Each entry moves the schema one version up; applied in order, each in its own transaction. */
export const MIGRATIONS: string[] = [
  `CREATE TABLE users (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     fingerprint TEXT NOT NULL,
     last_seen INTEGER NOT NULL,
     last_message_at INTEGER
   );
   CREATE TABLE rooms (
     key TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     password_hash TEXT,
     created_by TEXT,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE messages (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     room TEXT,
     recipient TEXT,
     sender TEXT NOT NULL,
     text TEXT NOT NULL,
     ts INTEGER NOT NULL
   );
   CREATE INDEX messages_by_room ON messages (room, id) WHERE room IS NOT NULL;
   CREATE INDEX messages_by_recipient ON messages (recipient, id) WHERE room IS NULL;
   CREATE INDEX messages_by_direct_sender ON messages (sender, id) WHERE room IS NULL;
   CREATE TABLE blocks (
     blocker TEXT NOT NULL,
     blocked TEXT NOT NULL,
     PRIMARY KEY (blocker, blocked)
   ) WITHOUT ROWID;`,
  // 2: operator bans, by identity key.
  `CREATE TABLE bans (
     fingerprint TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     reason TEXT NOT NULL,
     banned_by TEXT NOT NULL,
     at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  // 3: end-to-end: sealed envelopes beside the (then empty) text, identity keys to seal to, secret rooms.
  `ALTER TABLE messages ADD COLUMN sealed TEXT;
   CREATE TABLE identity_keys (
     fingerprint TEXT PRIMARY KEY,
     exponent BLOB NOT NULL,
     modulus BLOB NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE secret_rooms (key TEXT PRIMARY KEY) WITHOUT ROWID;`,
  // 4: a sender's nonce per message, so that a message sent again after a dropped connection is stored once.
  `ALTER TABLE messages ADD COLUMN nonce TEXT;
   CREATE UNIQUE INDEX messages_by_nonce ON messages (sender, nonce) WHERE nonce IS NOT NULL;`,
  // 5: a conversation between two users is read by its two parties (each way is one range).
  `CREATE INDEX messages_by_direct_pair ON messages (sender, recipient, id) WHERE room IS NULL;`,
  // 6: names an operator released (!release) from the key they were bound to, until the next login.
  `CREATE TABLE name_releases (
     key TEXT PRIMARY KEY,
     fingerprint TEXT NOT NULL,
     released_by TEXT NOT NULL,
     at INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];

// Bounds that a query leaves out are passed as the widest values, so one statement serves all.
const NO_BEFORE = Number.MAX_SAFE_INTEGER;
const NO_AFTER = 0;
/** A message whose sender already used its nonce is not stored: the insert does nothing. */
const ON_REPEATED_NONCE = 'ON CONFLICT (sender, nonce) WHERE nonce IS NOT NULL DO NOTHING';

export class SqliteStore implements ChatStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly statements;
  private readonly appendAll: (messages: NewMessage[]) => StoredMessage[];

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    this.db = new Database(join(dataDir, DATABASE_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    this.migrate();
    const db = this.db;
    this.statements = {
      getUser: db.prepare<[string], UserRow>('SELECT * FROM users WHERE key = ?'),
      putUser: db.prepare(
        `INSERT INTO users (key, name, fingerprint, last_seen, last_message_at) VALUES (@key, @name, @fingerprint, @lastSeen, @lastMessageAt)
         ON CONFLICT (key) DO UPDATE SET name = @name, fingerprint = @fingerprint, last_seen = @lastSeen, last_message_at = @lastMessageAt`,
      ),
      touchUser: db.prepare('UPDATE users SET last_seen = ? WHERE key = ?'),
      listUsers: db.prepare<[], UserRow>('SELECT * FROM users ORDER BY key'),
      getRoom: db.prepare<[string], RoomRow>('SELECT * FROM rooms WHERE key = ?'),
      createRoom: db.prepare(
        'INSERT OR IGNORE INTO rooms (key, name, password_hash, created_by, created_at) VALUES (@key, @name, @passwordHash, @createdBy, @createdAt)',
      ),
      listRooms: db.prepare<[], RoomRow>('SELECT * FROM rooms ORDER BY key'),
      // A repeated nonce is not an error: the insert does nothing, and the first message is looked up.
      insertMessage: db.prepare(
        `INSERT INTO messages (room, recipient, sender, text, ts, nonce) VALUES (@room, @to, @from, @text, @ts, @nonce) ${ON_REPEATED_NONCE}`,
      ),
      findByNonce: db.prepare<[string, string], MessageRow>('SELECT * FROM messages WHERE sender = ? AND nonce = ?'),
      markSpoke: db.prepare('UPDATE users SET last_message_at = ? WHERE key = ?'),
      newestId: db.prepare<[], { newest: number | null }>('SELECT max(id) AS newest FROM messages'),
      roomHistory: db.prepare<[string, number, number, number], MessageRow>(
        'SELECT * FROM messages WHERE room = ? AND id < ? AND id > ? ORDER BY id DESC LIMIT ?',
      ),
      // Two indexed halves, merged by SQLite: a plain OR over sender/recipient would scan.
      directHistory: db.prepare<[string, number, number, string, number, number, number], MessageRow>(
        `SELECT * FROM (
           SELECT * FROM messages WHERE room IS NULL AND recipient = ? AND id < ? AND id > ?
           UNION
           SELECT * FROM messages WHERE room IS NULL AND sender = ? AND id < ? AND id > ?
         ) ORDER BY id DESC LIMIT ?`,
      ),
      // Each way is one range of messages_by_direct_pair, cut to the page before they are merged.
      conversationHistory: db.prepare<[string, string, number, number, number, string, string, number, number, number, number], MessageRow>(
        `SELECT * FROM (
           SELECT * FROM (SELECT * FROM messages INDEXED BY messages_by_direct_pair WHERE room IS NULL AND sender = ? AND recipient = ? AND id < ? AND id > ? ORDER BY id DESC LIMIT ?)
           UNION
           SELECT * FROM (SELECT * FROM messages INDEXED BY messages_by_direct_pair WHERE room IS NULL AND sender = ? AND recipient = ? AND id < ? AND id > ? ORDER BY id DESC LIMIT ?)
         ) ORDER BY id DESC LIMIT ?`,
      ),
      block: db.prepare('INSERT OR IGNORE INTO blocks (blocker, blocked) VALUES (?, ?)'),
      unblock: db.prepare('DELETE FROM blocks WHERE blocker = ? AND blocked = ?'),
      listBlocks: db.prepare<[], { blocker: string; blocked: string }>('SELECT blocker, blocked FROM blocks'),
      putNameRelease: db.prepare('INSERT OR REPLACE INTO name_releases (key, fingerprint, released_by, at) VALUES (@key, @fingerprint, @releasedBy, @at)'),
      getNameRelease: db.prepare<[string], NameRelease>('SELECT key, fingerprint, released_by AS releasedBy, at FROM name_releases WHERE key = ?'),
      deleteNameRelease: db.prepare('DELETE FROM name_releases WHERE key = ?'),
      putBan: db.prepare('INSERT OR REPLACE INTO bans (fingerprint, name, reason, banned_by, at) VALUES (@fingerprint, @name, @reason, @bannedBy, @at)'),
      deleteBan: db.prepare('DELETE FROM bans WHERE fingerprint = ?'),
      listBans: db.prepare<[], BanRecord>('SELECT fingerprint, name, reason, banned_by AS bannedBy, at FROM bans ORDER BY at'),
      // End-to-end.
      insertSealedMessage: db.prepare(
        `INSERT INTO messages (room, recipient, sender, text, ts, sealed, nonce) VALUES (@room, @to, @from, @text, @ts, @sealed, @nonce) ${ON_REPEATED_NONCE}`,
      ),
      putIdentityKey: db.prepare('INSERT OR REPLACE INTO identity_keys (fingerprint, exponent, modulus) VALUES (?, ?, ?)'),
      getIdentityKey: db.prepare<[string], { exponent: Buffer; modulus: Buffer }>('SELECT exponent, modulus FROM identity_keys WHERE fingerprint = ?'),
      markRoomSecret: db.prepare('INSERT OR IGNORE INTO secret_rooms (key) VALUES (?)'),
      isRoomSecret: db.prepare<[string], { key: string }>('SELECT key FROM secret_rooms WHERE key = ?'),
    };
    this.appendAll = db.transaction((messages: NewMessage[]) =>
      messages.map((message) => {
        const insert = message.sealed === undefined ? this.statements.insertMessage : this.statements.insertSealedMessage;
        const { changes, lastInsertRowid } = insert.run({ ...message, nonce: message.nonce ?? null });
        if (changes === 0) return { ...this.findByNonce(message.from, message.nonce!)!, repeated: true as const };
        this.statements.markSpoke.run(message.ts, message.from);
        return { ...message, id: Number(lastInsertRowid) };
      }),
    );
  }

  /** The schema version, as SQLite's user_version: migrations above it are applied at open. */
  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  getUser(key: string): UserRecord | undefined {
    const row = this.statements.getUser.get(key);
    return row && toUser(row);
  }

  putUser(user: UserRecord): void {
    this.statements.putUser.run(user);
  }

  touchUser(key: string, lastSeen: number): void {
    this.statements.touchUser.run(lastSeen, key);
  }

  listUsers(): UserRecord[] {
    return this.statements.listUsers.all().map(toUser);
  }

  getRoom(key: string): RoomRecord | undefined {
    const row = this.statements.getRoom.get(key);
    return row && toRoom(row);
  }

  createRoom(room: RoomRecord): void {
    this.statements.createRoom.run(room);
  }

  listRooms(): RoomRecord[] {
    return this.statements.listRooms.all().map(toRoom);
  }

  appendMessages(messages: NewMessage[]): StoredMessage[] {
    return messages.length === 0 ? [] : this.appendAll(messages);
  }

  findByNonce(from: string, nonce: string): StoredMessage | undefined {
    const row = this.statements.findByNonce.get(from, nonce);
    return row && toMessage(row);
  }

  roomHistory(room: string, query: HistoryQuery): StoredMessage[] {
    const { before = NO_BEFORE, after = NO_AFTER, limit } = query;
    if (this.nothingAfter(after)) return [];
    return takeNewest(mapRows(this.statements.roomHistory.iterate(room, before, after, limit), toMessage), query);
  }

  directHistory(user: string, query: HistoryQuery): StoredMessage[] {
    const { before = NO_BEFORE, after = NO_AFTER, limit } = query;
    if (this.nothingAfter(after)) return [];
    return takeNewest(mapRows(this.statements.directHistory.iterate(user, before, after, user, before, after, limit), toMessage), query);
  }

  /**
   * Whether no message at all is newer than `after`: one look at the rowid's end (~4 µs), where
   * the history queries cost ~15–50 µs even when they find nothing. A reconnect asks with `since`
   * at the newest id it saw, so in a reconnect storm that is the common case.
   */
  private nothingAfter(after: number): boolean {
    const newest = this.statements.newestId.get()?.newest ?? null;
    return newest === null || newest <= after;
  }

  conversationHistory(a: string, b: string, { before = NO_BEFORE, after = NO_AFTER, limit }: HistoryQuery): StoredMessage[] {
    return this.statements.conversationHistory.all(a, b, before, after, limit, b, a, before, after, limit, limit).reverse().map(toMessage);
  }

  block(blocker: string, blocked: string): void {
    this.statements.block.run(blocker, blocked);
  }

  unblock(blocker: string, blocked: string): void {
    this.statements.unblock.run(blocker, blocked);
  }

  listBlocks(): Array<[string, string]> {
    return this.statements.listBlocks.all().map((row) => [row.blocker, row.blocked]);
  }

  putNameRelease(release: NameRelease): void {
    this.statements.putNameRelease.run(release);
  }

  getNameRelease(key: string): NameRelease | undefined {
    return this.statements.getNameRelease.get(key);
  }

  deleteNameRelease(key: string): void {
    this.statements.deleteNameRelease.run(key);
  }

  putBan(ban: BanRecord): void {
    this.statements.putBan.run(ban);
  }

  deleteBan(fingerprint: string): void {
    this.statements.deleteBan.run(fingerprint);
  }

  listBans(): BanRecord[] {
    return this.statements.listBans.all();
  }

  // --- end-to-end ----------------------------------------------------------------------------

  putIdentityKey(fingerprint: string, key: StoredIdentityKey): void {
    this.statements.putIdentityKey.run(fingerprint, key.exponent, key.modulus);
  }

  getIdentityKey(fingerprint: string): StoredIdentityKey | undefined {
    const row = this.statements.getIdentityKey.get(fingerprint);
    return row && { exponent: row.exponent, modulus: row.modulus };
  }

  markRoomSecret(room: string): void {
    this.statements.markRoomSecret.run(room);
  }

  isRoomSecret(room: string): boolean {
    return this.statements.isRoomSecret.get(room) !== undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private migrate(): void {
    for (let version = this.schemaVersion; version < MIGRATIONS.length; version++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
      })();
    }
  }
}

/** Rows read one at a time as they are taken (a page stops early at its byte budget). */
function* mapRows<R, T>(rows: Iterable<R>, map: (row: R) => T): Generator<T> {
  for (const row of rows) yield map(row);
}
