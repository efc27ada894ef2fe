// The small, hot tables of the PostgreSQL store (users, rooms, blocks, bans, name releases,
// identity keys, secret rooms), kept in memory so that their reads stay synchronous, as the router
// expects: this server's writes go to memory at once and to the database in order behind it
// (write-through); other servers' writes arrive as notifications naming the row (postgres-store.ts
// hears them), which is read again. The message path and the feed are postgres-store.ts's.

import type pg from 'pg';
import { ParlorError } from '../protocol/errors.ts';
import { MemoryStore } from './memory-store.ts';
import { CHANNEL, type Change } from './postgres-feed.ts';
import { readAllSmallTables, readRow } from './postgres-rows.ts';
import type { BanRecord, NameRelease, RoomRecord, StoredIdentityKey, UserRecord } from './store.ts';

/** How long to wait for the database (ServerOptions.databaseTimeoutMs), and the servers' heartbeat (postgres-presence.ts). */
export interface PostgresTimings {
  timeoutMs: number;
  heartbeatMs: number;
  goneMs: number;
}

export type RowChange = Exclude<NonNullable<Change['t']>, 'online'>;

const SMALL_TABLES: readonly RowChange[] = ['user', 'room', 'block', 'ban', 'key', 'secret', 'release'];

export class PostgresSmallTables {
  protected readonly cache = new MemoryStore();
  private readonly changeListeners: Array<(table: RowChange, key: string) => void> = [];
  protected writes: Promise<void> = Promise.resolve();
  /** Users whose row is queued for the database but not written yet (appendMessages: lastMessageAt). */
  protected readonly unwrittenUsers = new Map<string, number>();
  protected closed = false;
  /** Changed rows being read again (refresh): messages notified after them wait for them. */
  protected readonly refreshing = new Set<Promise<void>>();

  protected constructor(
    protected readonly pool: pg.Pool,
    /** This process among the chat's servers (notifications it sent itself are not news). */
    readonly serverId: string,
    protected readonly timings: PostgresTimings,
  ) {}

  /** A small table's row changed on another server (and is current in memory again). */
  onRowChange(listener: (table: RowChange, key: string) => void): void {
    this.changeListeners.push(listener);
  }

  /** Reads a row that another server changed, then tells the listeners. */
  protected refresh(table: RowChange, key: string): Promise<void> {
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

  protected async reload(): Promise<void> {
    await readAllSmallTables(this.pool, this.cache);
  }

  /** After a reconnection: everything is read again, and every listener hears that anything may have changed. */
  protected reloadAll(): void {
    this.reload().then(
      () => {
        for (const table of SMALL_TABLES) for (const listener of this.changeListeners) listener(table, '*');
      },
      () => {},
    );
  }

  /** Writes in the order they were made; a write the database refused is tried again until it takes. */
  protected writeThrough(sql: string, params: unknown[] | (() => unknown[]), table: RowChange, key: string, written?: () => void): void {
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

  protected async query<R extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
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
