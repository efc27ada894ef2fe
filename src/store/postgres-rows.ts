// The reads that fill the in-memory copy of PostgreSQL's small tables (postgres-store.ts): all of
// them at start, one row when it changed. Rows become records as SQLite's do (rows.ts).

import type pg from 'pg';
import type { MemoryStore } from './memory-store.ts';
import { toRoom, toUser, type RoomRow, type UserRow } from './rows.ts';

interface BanRow {
  fingerprint: string;
  name: string;
  reason: string;
  banned_by: string;
  at: number;
}

interface NameReleaseRow {
  key: string;
  fingerprint: string;
  released_by: string;
  at: number;
}

function putReleaseRow(cache: MemoryStore, row: NameReleaseRow): void {
  cache.putNameRelease({ key: row.key, fingerprint: row.fingerprint, releasedBy: row.released_by, at: row.at });
}

interface KeyRow {
  fingerprint: string;
  exponent: Buffer;
  modulus: Buffer;
  via_ssh: boolean;
}

function putKeyRow(cache: MemoryStore, row: KeyRow): void {
  cache.putIdentityKey(row.fingerprint, { exponent: row.exponent, modulus: row.modulus, ...(row.via_ssh && { viaSsh: true }) });
}

function putUserRow(cache: MemoryStore, row: UserRow): void {
  cache.putUser(toUser(row));
}

function putRoomRow(cache: MemoryStore, row: RoomRow): void {
  cache.createRoom(toRoom(row));
}

function putBanRow(cache: MemoryStore, row: BanRow): void {
  cache.putBan({ fingerprint: row.fingerprint, name: row.name, reason: row.reason, bannedBy: row.banned_by, at: row.at });
}

/** Every row of the small tables into memory (at start, and after a lost connection). */
export async function readAllSmallTables(db: pg.Pool, cache: MemoryStore): Promise<void> {
  const [users, rooms, blocks, bans, keys, secret, releases] = await Promise.all([
    db.query<UserRow>('SELECT * FROM users'),
    db.query<RoomRow>('SELECT * FROM rooms'),
    db.query<{ blocker: string; blocked: string }>('SELECT * FROM blocks'),
    db.query<BanRow>('SELECT * FROM bans'),
    db.query<KeyRow>('SELECT * FROM identity_keys'),
    db.query<{ key: string }>('SELECT * FROM secret_rooms'),
    db.query<NameReleaseRow>('SELECT * FROM name_releases'),
  ]);
  for (const row of users.rows) putUserRow(cache, row);
  for (const row of rooms.rows) putRoomRow(cache, row);
  const present = new Set(blocks.rows.map((row) => JSON.stringify([row.blocker, row.blocked])));
  for (const [blocker, blocked] of cache.listBlocks()) if (!present.has(JSON.stringify([blocker, blocked]))) cache.unblock(blocker, blocked);
  for (const row of blocks.rows) cache.block(row.blocker, row.blocked);
  const banned = new Set(bans.rows.map((row) => row.fingerprint));
  for (const ban of cache.listBans()) if (!banned.has(ban.fingerprint)) cache.deleteBan(ban.fingerprint);
  for (const row of bans.rows) putBanRow(cache, row);
  for (const row of keys.rows) putKeyRow(cache, row);
  for (const row of secret.rows) cache.markRoomSecret(row.key);
  const released = new Set(releases.rows.map((row) => row.key));
  for (const user of cache.listUsers()) if (!released.has(user.key)) cache.deleteNameRelease(user.key);
  for (const row of releases.rows) putReleaseRow(cache, row);
}

/** One changed row, read again (or removed from memory when it is gone). */
export async function readRow(db: pg.Pool, cache: MemoryStore, table: 'user' | 'room' | 'block' | 'ban' | 'key' | 'secret' | 'release', key: string): Promise<void> {
  switch (table) {
    case 'user': {
      const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE key = $1', [key]);
      if (rows[0]) putUserRow(cache, rows[0]);
      return;
    }
    case 'room': {
      // Its kind first: a room is never in memory without it (a secret room is marked before it is created).
      const secret = await db.query('SELECT 1 FROM secret_rooms WHERE key = $1', [key]);
      if (secret.rows.length > 0) cache.markRoomSecret(key);
      const { rows } = await db.query<RoomRow>('SELECT * FROM rooms WHERE key = $1', [key]);
      if (rows[0]) putRoomRow(cache, rows[0]);
      return;
    }
    case 'block': {
      const [blocker, blocked] = JSON.parse(key) as [string, string];
      const { rows } = await db.query('SELECT 1 FROM blocks WHERE blocker = $1 AND blocked = $2', [blocker, blocked]);
      if (rows.length > 0) cache.block(blocker, blocked);
      else cache.unblock(blocker, blocked);
      return;
    }
    case 'ban': {
      const { rows } = await db.query<BanRow>('SELECT * FROM bans WHERE fingerprint = $1', [key]);
      if (rows[0]) putBanRow(cache, rows[0]);
      else cache.deleteBan(key);
      return;
    }
    case 'key': {
      const { rows } = await db.query<KeyRow>('SELECT * FROM identity_keys WHERE fingerprint = $1', [key]);
      if (rows[0]) putKeyRow(cache, rows[0]);
      return;
    }
    case 'secret':
      cache.markRoomSecret(key);
      return;
    case 'release': {
      const { rows } = await db.query<NameReleaseRow>('SELECT * FROM name_releases WHERE key = $1', [key]);
      if (rows[0]) putReleaseRow(cache, rows[0]);
      else cache.deleteNameRelease(key);
      return;
    }
  }
}
