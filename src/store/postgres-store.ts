// The store that several servers share: PostgreSQL (node-postgres). The small, hot tables are kept
// in memory and written through (postgres-small-tables.ts); this module opens the database, hears
// the other servers' notifications (messages for the feed, changed rows to read again), and keeps
// the message path (append, history, nonces), which waits for the database: a message is
// acknowledged only after its commit.

import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ParlorError } from '../protocol/errors.ts';
import { redactDatabaseUrl } from './database-url.ts';
import { ChangeListener, MessagePump, type Change } from './postgres-feed.ts';
import { PostgresPresence } from './postgres-presence.ts';
import { migratePostgres } from './postgres-schema.ts';
import { PostgresSmallTables, type PostgresTimings } from './postgres-small-tables.ts';
import { toMessage as messageFrom, type MessageRow } from './rows.ts';
import { takeNewest, type ChatStore, type HistoryQuery, type MessageFeed, type NewMessage, type StoredMessage } from './store.ts';

export type { PostgresTimings } from './postgres-small-tables.ts';

/** Held by every append for its transaction: ids then commit in the order they were given. */
const APPEND_LOCK = 0x7061726c6f73;
const NO_BEFORE = Number.MAX_SAFE_INTEGER;
const READ_AHEAD = 500;
const DEFAULT_TIMINGS: PostgresTimings = { timeoutMs: 3000, heartbeatMs: 2000, goneMs: 8000 };

export class PostgresStore extends PostgresSmallTables implements ChatStore, MessageFeed {
  readonly kind = 'postgres';
  readonly feed: MessageFeed = this;
  /** Who is online on which of the chat's servers, and notices between them. */
  readonly cluster: PostgresPresence;

  private constructor(
    pool: pg.Pool,
    private readonly pump: MessagePump,
    private readonly listener: ChangeListener,
    timings: PostgresTimings,
  ) {
    super(pool, randomUUID(), timings);
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
    this.reloadAll();
  }

  private async readAfter(id: number): Promise<Array<{ message: StoredMessage; mine: boolean }>> {
    // Rows notified before these messages are read first: a sender's row and key (whether it is
    // over ssh) are current when its message is delivered.
    if (this.refreshing.size > 0) await Promise.all(this.refreshing);
    const { rows } = await this.pool.query<MessageRow & { origin: string | null }>('SELECT * FROM messages WHERE id > $1 ORDER BY id LIMIT $2', [id, READ_AHEAD]);
    return rows.map((row) => ({ message: messageFrom(row), mine: row.origin === this.serverId }));
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
}
