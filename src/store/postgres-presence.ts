// Who is online on which server of the chat (cluster-link.ts), in PostgreSQL. Each server has a
// row in `servers` that it touches every heartbeat; a server that stopped touching it (killed,
// cut off) is removed by the others after `goneMs` (several heartbeats: a busy one is not
// dropped), and its people with it (ON DELETE CASCADE), so they do not stay online for ever. Rows change by write-through and a notification
// naming the person, which the others read again; notices travel in the notification itself.

import type pg from 'pg';
import type { ClusterLink, ClusterNotice, LocalPerson, RemotePerson } from './cluster-link.ts';
import { CHANNEL } from './postgres-feed.ts';


interface OnlineRow {
  server: string;
  server_name: string;
  user_key: string;
  name: string;
  fingerprint: string;
  rooms: string[];
}

export class PostgresPresence implements ClusterLink {
  /** Other servers' people, by `${server}\0${key}`. */
  private readonly remote = new Map<string, RemotePerson & { serverId: string }>();
  private readonly presenceListeners: Array<(before: RemotePerson | undefined, after: RemotePerson | undefined) => void> = [];
  private readonly noticeListeners: Array<(notice: ClusterNotice) => void> = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private writes: Promise<void> = Promise.resolve();
  /** What this server last published about each of its people (written again after an outage). */
  private readonly published = new Map<string, LocalPerson>();
  private serverName = '';
  private address: string | null = null;
  private others: Array<{ name: string; address: string }> = [];
  chatId = '';
  chatName = '';

  constructor(
    private readonly pool: pg.Pool,
    private readonly serverId: string,
    private readonly timings: { heartbeatMs: number; goneMs: number },
  ) {}

  async start(serverName: string, address: string | null): Promise<void> {
    this.serverName = serverName;
    this.address = address;
    // The first server to start names the chat; the others advertise that name (a --name of theirs
    // that differs stays their own name among the chat's servers).
    await this.pool.query('UPDATE chat SET name = $1 WHERE name IS NULL', [serverName]);
    const chat = (await this.pool.query<{ id: string; name: string }>('SELECT id, name FROM chat')).rows[0]!;
    this.chatId = chat.id;
    this.chatName = chat.name;
    await this.pool.query('INSERT INTO servers (id, name, address, beat_at) VALUES ($1, $2, $3, now()) ON CONFLICT (id) DO UPDATE SET beat_at = now()', [
      this.serverId,
      serverName,
      address,
    ]);
    await this.notify({ s: this.serverId, t: 'online', k: '*' });
    await this.reload();
    this.heartbeat = setInterval(() => void this.beat(), this.timings.heartbeatMs);
    this.heartbeat.unref();
  }

  private async beat(): Promise<void> {
    try {
      // Back after an outage that made the others drop this server: its row and people again.
      const { rowCount } = await this.pool.query('UPDATE servers SET beat_at = now() WHERE id = $1', [this.serverId]);
      if (rowCount === 0) {
        await this.pool.query('INSERT INTO servers (id, name, address, beat_at) VALUES ($1, $2, $3, now())', [this.serverId, this.serverName, this.address]);
        this.republish();
      }
      const gone = await this.pool.query(`DELETE FROM servers WHERE beat_at < now() - make_interval(secs => $1) RETURNING id`, [this.timings.goneMs / 1000]);
      if ((gone.rowCount ?? 0) > 0) await this.notify({ s: this.serverId, t: 'online', k: '*' });
      if ((gone.rowCount ?? 0) > 0) await this.reload();
    } catch {
      // The database is away: the next beat tries again.
    }
  }

  /**
   * Writes this server's people again, whole: after the database was away (writes made meanwhile
   * were lost) or after the others took this server for gone (its rows went with it).
   */
  republish(): void {
    const people = [...this.published];
    this.writes = this.writes.then(async () => {
      try {
        await this.pool.query('DELETE FROM online WHERE server = $1', [this.serverId]);
        for (const [key, person] of people) {
          await this.pool.query('INSERT INTO online (server, user_key, name, fingerprint, rooms) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
            this.serverId,
            key,
            person.name,
            person.fingerprint,
            person.rooms,
          ]);
        }
        await this.notify({ s: this.serverId, t: 'online', k: '*' });
      } catch {
        // Away again: the next reconnection or heartbeat writes them again.
      }
    });
  }

  publishPresence(key: string, person: LocalPerson | undefined): void {
    if (person) this.published.set(key, person);
    else this.published.delete(key);
    const write = person
      ? {
          sql: `INSERT INTO online (server, user_key, name, fingerprint, rooms) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (server, user_key) DO UPDATE SET name = $3, fingerprint = $4, rooms = $5`,
          params: [this.serverId, key, person.name, person.fingerprint, person.rooms],
        }
      : { sql: 'DELETE FROM online WHERE server = $1 AND user_key = $2', params: [this.serverId, key] };
    this.writes = this.writes.then(async () => {
      try {
        await this.pool.query(write.sql, write.params);
        await this.notify({ s: this.serverId, t: 'online', k: key });
      } catch {
        // Lost while the database is away; the others drop this server's people if it stays away.
      }
    });
  }

  otherServers(): Array<{ name: string; address: string }> {
    return this.others;
  }

  remotePeople(): RemotePerson[] {
    return [...this.remote.values()].map(({ serverId: _, ...person }) => person);
  }

  onPresence(listener: (before: RemotePerson | undefined, after: RemotePerson | undefined) => void): void {
    this.presenceListeners.push(listener);
  }

  publish(notice: ClusterNotice): void {
    // In line with the presence writes: a server that says it is stopping says so before it leaves.
    this.writes = this.writes.then(() => this.notify({ s: this.serverId, n: notice }).catch(() => {}));
  }

  onNotice(listener: (notice: ClusterNotice) => void): void {
    this.noticeListeners.push(listener);
  }

  /** A notification for presence: `k` is a person's key, or '*' for everyone (a server went). */
  heard(payload: { s: string; t?: string; k?: string; n?: ClusterNotice }): void {
    if (payload.s === this.serverId) return;
    if (payload.n) for (const listener of this.noticeListeners) listener(payload.n);
    if (payload.t === 'online' && payload.k !== undefined) void this.reload(payload.k === '*' ? undefined : payload.k).catch(() => {});
  }

  /** Reads the other servers' people again (all, or one person's rows), telling what changed. */
  async reload(key?: string): Promise<void> {
    if (key === undefined) {
      const servers = await this.pool.query<{ name: string; address: string }>('SELECT name, address FROM servers WHERE id <> $1 AND address IS NOT NULL ORDER BY name', [this.serverId]);
      this.others = servers.rows;
    }
    const { rows } = await this.pool.query<OnlineRow>(
      `SELECT o.server, s.name AS server_name, o.user_key, o.name, o.fingerprint, o.rooms FROM online o JOIN servers s ON s.id = o.server
       WHERE o.server <> $1 AND ($2::text IS NULL OR o.user_key = $2)`,
      [this.serverId, key ?? null],
    );
    const fresh = new Map(rows.map((row) => [`${row.server}\0${row.user_key}`, { serverId: row.server, server: row.server_name, key: row.user_key, name: row.name, fingerprint: row.fingerprint, rooms: row.rooms }]));
    for (const [id, before] of [...this.remote]) {
      if (key !== undefined && before.key !== key) continue;
      if (fresh.has(id)) continue;
      this.remote.delete(id);
      this.tell(before, undefined);
    }
    for (const [id, after] of fresh) {
      const before = this.remote.get(id);
      this.remote.set(id, after);
      if (!before || before.rooms.join() !== after.rooms.join() || before.name !== after.name) this.tell(before, after);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.writes;
    // Leaving on purpose: the others hear at once instead of after goneMs.
    await this.pool.query('DELETE FROM servers WHERE id = $1', [this.serverId]).catch(() => {});
    await this.notify({ s: this.serverId, t: 'online', k: '*' }).catch(() => {});
  }

  private tell(before: (RemotePerson & { serverId?: string }) | undefined, after: (RemotePerson & { serverId?: string }) | undefined): void {
    const strip = (person: typeof before) => person && { server: person.server, key: person.key, name: person.name, fingerprint: person.fingerprint, rooms: person.rooms };
    for (const listener of this.presenceListeners) listener(strip(before), strip(after));
  }

  private async notify(payload: object): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify(payload)]);
  }
}
