// The store that several servers share: PostgreSQL (node-postgres). The small, hot tables (users,
// rooms, blocks, bans, identity keys, secret rooms) are kept in memory, loaded at start and kept
// current: this server's writes go to memory at once and to the database in order behind it
// (write-through), other servers' writes arrive as notifications naming the row, which is read
// again. So those reads stay synchronous, as the router expects. The message path (append,
// history, nonces) waits for the database: a message is acknowledged only after its commit.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ParlorError } from '../protocol/errors.ts';
import { redactDatabaseUrl } from './database-url.ts';
import { MemoryStore } from './memory-store.ts';
import { ChangeListener, CHANNEL, MessagePump, type Change } from './postgres-feed.ts';
import { PostgresPresence } from './postgres-presence.ts';
import { migratePostgres } from './postgres-schema.ts';
import { readAllSmallTables, readRow } from './postgres-rows.ts';
import { toMessage as messageFrom, type MessageRow } from './rows.ts';
import { takeNewest, type BanRecord, type ChatStore, type HistoryQuery, type MessageFeed, type NameRelease, type NewMessage, type RoomRecord, type StoredIdentityKey, type StoredMessage, type UserRecord } from './store.ts';

/** Held by every append for its transaction: ids then commit in the order they were given. */
const APPEND_LOCK = 0x7061726c6f73;
const NO_BEFORE = Number.MAX_SAFE_INTEGER;
const READ_AHEAD = 500;
/** How long to wait for the database (ServerOptions.databaseTimeoutMs), and the servers' heartbeat (postgres-presence.ts). */
export interface PostgresTimings {
  timeoutMs: number;
  heartbeatMs: number;
  goneMs: number;
}

const DEFAULT_TIMINGS: PostgresTimings = { timeoutMs: 3000, heartbeatMs: 2000, goneMs: 8000 };

export type RowChange = Exclude<NonNullable<Change['t']>, 'online'>;

export class PostgresStore implements ChatStore, MessageFeed {
  readonly kind = 'postgres';
  readonly feed: MessageFeed = this;
  /** This process among the chat's servers (notifications it sent itself are not news). */
  readonly serverId = randomUUID();
  private readonly cache = new MemoryStore();
  private readonly changeListeners: Array<(table: RowChange, key: string) => void> = [];
  private writes: Promise<void> = Promise.resolve();
  /** Users whose row is queued for the database but not written yet (appendMessages: lastMessageAt). */
  private readonly unwrittenUsers = new Map<string, number>();
  private closed = false;
  /** Changed rows being read again (refresh): messages notified after them wait for them. */
  private readonly refreshing = new Set<Promise<void>>();
  /** Who is online on which of the chat's servers, and notices between them. */
  readonly cluster: PostgresPresence;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly pump: MessagePump,
    private readonly listener: ChangeListener,
    private readonly timings: PostgresTimings,
  ) {
    this.cluster = new PostgresPresence(pool, this.serverId, timings);
  }

  /** Connects, migrates, loads the small tables, listens. DATABASE_UNAVAILABLE when it cannot. */
  static async open(url: string, timings: PostgresTimings = DEFAULT_TIMINGS): Promise<PostgresStore> {
    // BIGINT ids and times fit in a double: read them as numbers.
    const types = { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? Number : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };
    const config: pg.ClientConfig = { connectionString: url, connectionTimeoutMillis: timings.timeoutMs, types };
    const pool = new pg.Pool({ ...config, max: 4, query_timeout: 2 * timings.timeoutMs });
    // An idle connection that the database closed is replaced at the next query: not fatal.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client);
      } finally {
        client.release();
      }
      const { rows } = await pool.query<{ last: number }>('SELECT coalesce(max(id), 0)::bigint AS last FROM messages');
      let store: PostgresStore | undefined;
      const pump = new MessagePump(rows[0]!.last, (id) => store!.readAfter(id));
      const listener = new ChangeListener(config, (change) => store?.heard(change), () => store?.reconnected());
      store = new PostgresStore(pool, pump, listener, timings);
      await store.reload();
      await listener.start();
      return store;
    } catch (error) {
      await pool.end().catch(() => {});
      throw new ParlorError('DATABASE_UNAVAILABLE', `cannot use the database at ${redactDatabaseUrl(url)}: ${(error as Error).message}`, { cause: error });
    }
  }

  // --- the feed: messages and changed rows from every server ----------------------------------

  subscribe(deliver: (messages: StoredMessage[]) => void): void {
    this.pump.subscribe(deliver);
  }

  lastDelivered(): number {
    return this.pump.lastDelivered;
  }

  /** A small table's row changed on another server (and is current in memory again). */
  onRowChange(listener: (table: RowChange, key: string) => void): void {
    this.changeListeners.push(listener);
  }

  private heard(change: Change): void {
    if (change.m !== undefined) this.pump.heard(change.m);
    if (change.n !== undefined || change.t === 'online') return this.cluster.heard(change);
    if (change.t !== undefined && change.k !== undefined && change.s !== this.serverId) void this.refresh(change.t, change.k);
  }

  /** After the listening connection came back: what changed meanwhile is read again. */
  private reconnected(): void {
    this.pump.heard(Infinity);
    void this.cluster.reload().catch(() => {});
    this.cluster.republish();
    this.reload().then(
      () => {
        for (const table of ['user', 'room', 'block', 'ban', 'key', 'secret', 'release'] as const) for (const listener of this.changeListeners) listener(table, '*');
      },
      () => {},
    );
  }

  private refresh(table: RowChange, key: string): Promise<void> {
    const reading = readRow(this.pool, this.cache, table, key).then(
      () => {
        for (const listener of this.changeListeners) listener(table, key);
      },
      () => {}, // The database went away: the reconnection reloads everything.
    );
    this.refreshing.add(reading);
    void reading.finally(() => this.refreshing.delete(reading));
    return reading;
  }

  private async reload(): Promise<void> {
    await readAllSmallTables(this.pool, this.cache);
  }

  private async readAfter(id: number): Promise<Array<{ message: StoredMessage; mine: boolean }>> {
    // Rows notified before these messages are read first: a sender's row and key (whether it is
    // over ssh) are current when its message is delivered.
    if (this.refreshing.size > 0) await Promise.all(this.refreshing);
    const { rows } = await this.pool.query<MessageRow & { origin: string | null }>('SELECT * FROM messages WHERE id > $1 ORDER BY id LIMIT $2', [id, READ_AHEAD]);
    return rows.map((row) => ({ message: messageFrom(row), mine: row.origin === this.serverId }));
  }

  // --- the small tables: memory now, the database right behind ------------------------------

  /** Writes in the order they were made; a write the database refused is tried again until it takes. */
  private writeThrough(sql: string, params: unknown[] | (() => unknown[]), table: RowChange, key: string, written?: () => void): void {
    const notice = JSON.stringify({ s: this.serverId, t: table, k: key } satisfies Change);
    const attempt = async (): Promise<void> => {
      for (let pauseMs = 100; !this.closed || pauseMs <= 400; pauseMs = Math.min(pauseMs * 2, 2000)) {
        try {
          await this.pool.query(sql, typeof params === 'function' ? params() : params);
          await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, notice]);
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
      }
    };
    this.writes = this.writes.then(attempt).finally(written);
  }

  getUser(key: string): UserRecord | undefined {
    return this.cache.getUser(key);
  }

  putUser(user: UserRecord): void {
    this.cache.putUser(user);
    // The row as memory has it when the write goes out: a message appended meanwhile (appends do
    // not wait for this queue, and update only a row that exists) keeps its time.
    const current = (): unknown[] => {
      const row = this.cache.getUser(user.key) ?? user;
      return [row.key, row.name, row.fingerprint, row.lastSeen, row.lastMessageAt];
    };
    this.unwrittenUsers.set(user.key, (this.unwrittenUsers.get(user.key) ?? 0) + 1);
    this.writeThrough(
      `INSERT INTO users (key, name, fingerprint, last_seen, last_message_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (key) DO UPDATE SET name = $2, fingerprint = $3, last_seen = $4,
         -- A message appended meanwhile (appends do not wait for this queue) keeps its time, unless the name changed hands.
         last_message_at = CASE WHEN users.fingerprint = $3 THEN GREATEST(users.last_message_at, $5) ELSE $5 END`,
      current,
      'user',
      user.key,
      () => {
        const left = (this.unwrittenUsers.get(user.key) ?? 1) - 1;
        if (left > 0) this.unwrittenUsers.set(user.key, left);
        else this.unwrittenUsers.delete(user.key);
      },
    );
  }

  async bindName(user: UserRecord, previous: string | undefined): Promise<boolean> {
    // The users table's primary key decides between two servers: an insert, or an update of the
    // row as this server saw it (compare and set on the fingerprint), of which exactly one takes.
    const { rowCount } =
      previous === undefined
        ? await this.query(
            'INSERT INTO users (key, name, fingerprint, last_seen, last_message_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING',
            [user.key, user.name, user.fingerprint, user.lastSeen, user.lastMessageAt],
          )
        : await this.query('UPDATE users SET name = $2, fingerprint = $3, last_seen = $4, last_message_at = $5 WHERE key = $1 AND fingerprint = $6', [
            user.key,
            user.name,
            user.fingerprint,
            user.lastSeen,
            user.lastMessageAt,
            previous,
          ]);
    if (rowCount === 1) return true;
    // Someone got there first: this key itself (another session of it), or another key.
    const { rows } = await this.query<{ fingerprint: string }>('SELECT fingerprint FROM users WHERE key = $1', [user.key]);
    if (rows[0]?.fingerprint === user.fingerprint) return true;
    void this.refresh('user', user.key);
    return false;
  }

  /**
   * Resolves once every small-table write made so far is in the database, and notified;
   * DATABASE_UNAVAILABLE if that takes longer than the database timeout (the writes go on).
   */
  writesSettled(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ParlorError('DATABASE_UNAVAILABLE', 'the database did not answer in time: try again', { retryAfterMs: 1000 })), this.timings.timeoutMs);
    });
    return Promise.race([this.writes, late]).finally(() => clearTimeout(timer));
  }

  touchUser(key: string, lastSeen: number): void {
    this.cache.touchUser(key, lastSeen);
    this.writeThrough('UPDATE users SET last_seen = $2 WHERE key = $1', [key, lastSeen], 'user', key);
  }

  listUsers(): UserRecord[] {
    return this.cache.listUsers().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  getRoom(key: string): RoomRecord | undefined {
    return this.cache.getRoom(key);
  }

  createRoom(room: RoomRecord): void {
    if (this.cache.getRoom(room.key)) return;
    this.cache.createRoom(room);
    this.writeThrough(
      'INSERT INTO rooms (key, name, password_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING',
      [room.key, room.name, room.passwordHash, room.createdBy, room.createdAt],
      'room',
      room.key,
    );
  }

  listRooms(): RoomRecord[] {
    return this.cache.listRooms().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  block(blocker: string, blocked: string): void {
    this.cache.block(blocker, blocked);
    this.writeThrough('INSERT INTO blocks (blocker, blocked) VALUES ($1, $2) ON CONFLICT DO NOTHING', [blocker, blocked], 'block', JSON.stringify([blocker, blocked]));
  }

  unblock(blocker: string, blocked: string): void {
    this.cache.unblock(blocker, blocked);
    this.writeThrough('DELETE FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked], 'block', JSON.stringify([blocker, blocked]));
  }

  listBlocks(): Array<[string, string]> {
    return this.cache.listBlocks();
  }

  putNameRelease(release: NameRelease): void {
    this.cache.putNameRelease(release);
    this.writeThrough(
      `INSERT INTO name_releases (key, fingerprint, released_by, at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET fingerprint = $2, released_by = $3, at = $4`,
      [release.key, release.fingerprint, release.releasedBy, release.at],
      'release',
      release.key,
    );
  }

  getNameRelease(key: string): NameRelease | undefined {
    return this.cache.getNameRelease(key);
  }

  deleteNameRelease(key: string): void {
    this.cache.deleteNameRelease(key);
    this.writeThrough('DELETE FROM name_releases WHERE key = $1', [key], 'release', key);
  }

  putBan(ban: BanRecord): void {
    this.cache.putBan(ban);
    this.writeThrough(
      `INSERT INTO bans (fingerprint, name, reason, banned_by, at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (fingerprint) DO UPDATE SET name = $2, reason = $3, banned_by = $4, at = $5`,
      [ban.fingerprint, ban.name, ban.reason, ban.bannedBy, ban.at],
      'ban',
      ban.fingerprint,
    );
  }

  deleteBan(fingerprint: string): void {
    this.cache.deleteBan(fingerprint);
    this.writeThrough('DELETE FROM bans WHERE fingerprint = $1', [fingerprint], 'ban', fingerprint);
  }

  listBans(): BanRecord[] {
    return this.cache.listBans().sort((a, b) => a.at - b.at);
  }

  putIdentityKey(fingerprint: string, key: StoredIdentityKey): void {
    this.cache.putIdentityKey(fingerprint, key);
    this.writeThrough(
      // Once held by a front door, always marked: the server could have read what was sealed to it.
      `INSERT INTO identity_keys (fingerprint, exponent, modulus, via_ssh) VALUES ($1, $2, $3, $4)
       ON CONFLICT (fingerprint) DO UPDATE SET exponent = $2, modulus = $3, via_ssh = identity_keys.via_ssh OR $4`,
      [fingerprint, key.exponent, key.modulus, key.viaSsh === true],
      'key',
      fingerprint,
    );
  }

  getIdentityKey(fingerprint: string): StoredIdentityKey | undefined {
    return this.cache.getIdentityKey(fingerprint);
  }

  markRoomSecret(room: string): void {
    this.cache.markRoomSecret(room);
    this.writeThrough('INSERT INTO secret_rooms (key) VALUES ($1) ON CONFLICT DO NOTHING', [room], 'secret', room);
  }

  isRoomSecret(room: string): boolean {
    return this.cache.isRoomSecret(room);
  }

  // --- the message path: it waits for the database -----------------------------------------

  async appendMessages(messages: NewMessage[]): Promise<StoredMessage[]> {
    if (messages.length === 0) return [];
    // One round trip: parlor_append (postgres-schema.ts) takes the order lock, inserts, and notifies.
    const batch = messages.map((m) => ({ room: m.room, to: m.to, from: m.from, text: m.text, ts: m.ts, sealed: m.sealed ?? null, nonce: m.nonce ?? null }));
    // Senders whose row is not in the database yet: their write may read memory before this returns.
    const unwritten = new Set(messages.map((m) => m.from).filter((key) => this.unwrittenUsers.has(key)));
    this.pump.appending(+1);
    let rows: Array<{ out_id: number; out_repeated: boolean }>;
    try {
      ({ rows } = await this.query<{ out_id: number; out_repeated: boolean }>('SELECT out_id, out_repeated FROM parlor_append($1::jsonb, $2, $3)', [
        JSON.stringify(batch),
        this.serverId,
        APPEND_LOCK,
      ]));
    } finally {
      this.pump.appending(-1);
    }
    // A retry comes back as the first message with that nonce (rare: read it whole).
    const firsts = rows.some((row) => row.out_repeated) ? await this.messagesById(rows.filter((row) => row.out_repeated).map((row) => row.out_id)) : new Map();
    const stored = rows.map((row, index): StoredMessage =>
      row.out_repeated ? { ...firsts.get(row.out_id)!, repeated: true } : { ...messages[index]!, id: row.out_id },
    );
    const fresh = stored.filter((message) => !message.repeated);
    for (const message of fresh) {
      const sender = this.cache.getUser(message.from);
      if (!sender) continue;
      this.cache.putUser({ ...sender, lastMessageAt: message.ts });
      // The append updated only a row that existed: a sender whose row was still queued (its
      // write may have read memory before this message) gets the time written behind it.
      if (unwritten.has(message.from) || this.unwrittenUsers.has(message.from)) {
        this.writeThrough('UPDATE users SET last_message_at = GREATEST(coalesce(last_message_at, 0), $2) WHERE key = $1', [message.from, message.ts], 'user', message.from);
      }
    }
    if (fresh.length > 0) this.pump.committedHere(fresh);
    return stored;
  }

  private async messagesById(ids: number[]): Promise<Map<number, StoredMessage>> {
    const { rows } = await this.query<MessageRow>('SELECT * FROM messages WHERE id = ANY($1::bigint[])', [ids]);
    return new Map(rows.map((row) => [row.id, messageFrom(row)]));
  }

  async findByNonce(from: string, nonce: string): Promise<StoredMessage | undefined> {
    const { rows } = await this.query<MessageRow>('SELECT * FROM messages WHERE sender = $1 AND nonce = $2', [from, nonce]);
    return rows[0] && messageFrom(rows[0]);
  }

  async roomHistory(room: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const { before = NO_BEFORE, after = 0, limit } = query;
    const { rows } = await this.query<MessageRow>('SELECT * FROM messages WHERE room = $1 AND id < $2 AND id > $3 ORDER BY id DESC LIMIT $4', [room, before, after, limit]);
    // Newest first, as takeNewest takes them: cut at the page's bytes (maxBytes) too.
    return takeNewest(rows.map(messageFrom), query);
  }

  async directHistory(user: string, query: HistoryQuery): Promise<StoredMessage[]> {
    const { before = NO_BEFORE, after = 0, limit } = query;
    const { rows } = await this.query<MessageRow>(
      `SELECT * FROM (
         (SELECT * FROM messages WHERE room IS NULL AND recipient = $1 AND id < $2 AND id > $3 ORDER BY id DESC LIMIT $4)
         UNION
         (SELECT * FROM messages WHERE room IS NULL AND sender = $1 AND id < $2 AND id > $3 ORDER BY id DESC LIMIT $4)
       ) AS direct ORDER BY id DESC LIMIT $4`,
      [user, before, after, limit],
    );
    return takeNewest(rows.map(messageFrom), query);
  }

  async conversationHistory(a: string, b: string, { before = NO_BEFORE, after = 0, limit }: HistoryQuery): Promise<StoredMessage[]> {
    const { rows } = await this.query<MessageRow>(
      `SELECT * FROM (
         (SELECT * FROM messages WHERE room IS NULL AND sender = $1 AND recipient = $2 AND id < $3 AND id > $4 ORDER BY id DESC LIMIT $5)
         UNION
         (SELECT * FROM messages WHERE room IS NULL AND sender = $2 AND recipient = $1 AND id < $3 AND id > $4 ORDER BY id DESC LIMIT $5)
       ) AS conversation ORDER BY id DESC LIMIT $5`,
      [a, b, before, after, limit],
    );
    return rows.reverse().map(messageFrom);
  }

  /** Waits (a little) for the writes still queued, then lets go of the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.race([Promise.all([this.writes, this.cluster.close()]), new Promise((resolve) => setTimeout(resolve, this.timings.timeoutMs).unref())]);
    await this.listener.close();
    await this.pool.end().catch(() => {});
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(sql, params);
    } catch (error) {
      throw unavailable(error);
    }
  }

}

/**
 * What a sender is told when its message could not be stored: retry shortly. A commit whose answer
 * was lost may have been stored after all; the retry carries the same nonce and is stored once.
 */
function unavailable(error: unknown): ParlorError {
  if (error instanceof ParlorError) return error;
  return new ParlorError('DATABASE_UNAVAILABLE', `the message was not stored: the database cannot be reached (${(error as Error).message}); try again`, {
    cause: error,
    retryAfterMs: 1000,
  });
}
