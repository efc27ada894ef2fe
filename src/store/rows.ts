// The tables' rows (SQLite's and PostgreSQL's have the same columns) as the store's records.

import type { RoomRecord, StoredMessage, UserRecord } from './store.ts';

export interface MessageRow {
  id: number;
  room: string | null;
  recipient: string | null;
  sender: string;
  text: string;
  ts: number;
  sealed: string | null;
}

export interface UserRow {
  key: string;
  name: string;
  fingerprint: string;
  last_seen: number;
  last_message_at: number | null;
}

export interface RoomRow {
  key: string;
  name: string;
  password_hash: string | null;
  created_by: string | null;
  created_at: number;
}

export const toMessage = (row: MessageRow): StoredMessage => ({
  id: row.id,
  room: row.room,
  to: row.recipient,
  from: row.sender,
  text: row.text,
  ts: row.ts,
  ...(row.sealed !== null && { sealed: row.sealed }),
});
export const toUser = (row: UserRow): UserRecord => ({
  key: row.key,
  name: row.name,
  fingerprint: row.fingerprint,
  lastSeen: row.last_seen,
  lastMessageAt: row.last_message_at,
});
export const toRoom = (row: RoomRow): RoomRecord => ({
  key: row.key,
  name: row.name,
  passwordHash: row.password_hash,
  createdBy: row.created_by,
  createdAt: row.created_at,
});
