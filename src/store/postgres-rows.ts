// Rows of the PostgreSQL tables as the store's records, and the reads that fill the in-memory
// copy of the small tables (postgres-store.ts): all of them at start, one row when it changed.

import type pg from 'pg';
import type { MemoryStore } from './memory-store.ts';
import type { StoredMessage } from './store.ts';

export interface MessageRow {
  id: number;
  room: string | null;
  recipient: string | null;
  sender: string;
  text: string;
  ts: number;
  sealed: string | null;
}

interface UserRow {
  key: string;
  name: string;
  fingerprint: string;
  last_seen: number;
  last_message_at: number | null;
}

interface RoomRow {
  key: string;
  name: string;
  password_hash: string | null;
  created_by: string | null;
  created_at: number;
}

interface BanRow {
  fingerprint: string;
  name: string;
  reason: string;
  banned_by: string;
  at: number;
}

export const messageFrom = (row: MessageRow): StoredMessage => ({
  id: row.id,
  room: row.room,
  to: row.recipient,
  from: row.sender,
  text: row.text,
  ts: row.ts,
  ...(row.sealed !== null && { sealed: row.sealed }),
});

function putUserRow(cache: MemoryStore, row: UserRow): void {
  cache.putUser({ key: row.key, name: row.name, fingerprint: row.fingerprint, lastSeen: row.last_seen, lastMessageAt: row.last_message_at });
}

function putRoomRow(cache: MemoryStore, row: RoomRow): void {
  cache.createRoom({ key: row.key, name: row.name, passwordHash: row.password_hash, createdBy: row.created_by, createdAt: row.created_at });
}

function putBanRow(cache: MemoryStore, row: BanRow): void {
  cache.putBan({ fingerprint: row.fingerprint, name: row.name, reason: row.reason, bannedBy: row.banned_by, at: row.at });
}

/** Every row of the small tables into memory (at start, and after a lost connection). */
export async function readAllSmallTables(db: pg.Pool, cache: MemoryStore): Promise<void> {
  const [users, rooms, blocks, bans, keys, secret] = await Promise.all([
    db.query<UserRow>('SELECT * FROM users'),
    db.query<RoomRow>('SELECT * FROM rooms'),
    db.query<{ blocker: string; blocked: string }>('SELECT * FROM blocks'),
    db.query<BanRow>('SELECT * FROM bans'),
    db.query<{ fingerprint: string; exponent: Buffer; modulus: Buffer }>('SELECT * FROM identity_keys'),
    db.query<{ key: string }>('SELECT * FROM secret_rooms'),
  ]);
  for (const row of users.rows) putUserRow(cache, row);
  for (const row of rooms.rows) putRoomRow(cache, row);
  const present = new Set(blocks.rows.map((row) => JSON.stringify([row.blocker, row.blocked])));
  for (const [blocker, blocked] of cache.listBlocks()) if (!present.has(JSON.stringify([blocker, blocked]))) cache.unblock(blocker, blocked);
  for (const row of blocks.rows) cache.block(row.blocker, row.blocked);
  const banned = new Set(bans.rows.map((row) => row.fingerprint));
  for (const ban of cache.listBans()) if (!banned.has(ban.fingerprint)) cache.deleteBan(ban.fingerprint);
  for (const row of bans.rows) putBanRow(cache, row);
  for (const row of keys.rows) cache.putIdentityKey(row.fingerprint, { exponent: row.exponent, modulus: row.modulus });
  for (const row of secret.rows) cache.markRoomSecret(row.key);
}

/** One changed row, read again (or removed from memory when it is gone). */
export async function readRow(db: pg.Pool, cache: MemoryStore, table: 'user' | 'room' | 'block' | 'ban' | 'key' | 'secret', key: string): Promise<void> {
  switch (table) {
    case 'user': {
      const { rows } = await db.query<UserRow>('SELECT * FROM users WHERE key = $1', [key]);
      if (rows[0]) putUserRow(cache, rows[0]);
      return;
    }
    case 'room': {
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
      const { rows } = await db.query<{ exponent: Buffer; modulus: Buffer }>('SELECT * FROM identity_keys WHERE fingerprint = $1', [key]);
      if (rows[0]) cache.putIdentityKey(key, { exponent: rows[0].exponent, modulus: rows[0].modulus });
      return;
    }
    case 'secret':
      cache.markRoomSecret(key);
      return;
  }
}
