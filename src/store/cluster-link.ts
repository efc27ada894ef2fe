// What the servers of one chat tell each other beyond the tables' rows: who is online where (kept
// in a table, so that a server starting late or reconnecting reads it whole), and notices that
// are news only at the moment they happen (an announcement, a kick, a server stopping), which
// travel in the notification itself. Implemented by the PostgreSQL store (postgres-presence.ts).

import type { RemovalNotice } from '../protocol/operator-notices.ts';

/** A person online on another server of the chat, as that server published them. */
export interface RemotePerson {
  /** The name of the server they are on. */
  server: string;
  key: string;
  name: string;
  fingerprint: string;
  /** Keys of the rooms they are in there. */
  rooms: string[];
}

/** What this server publishes about one person online here (undefined: no longer online here). */
export interface LocalPerson {
  name: string;
  fingerprint: string;
  rooms: string[];
}

export type ClusterNotice =
  | { kind: 'announce'; from: string; text: string; ts: number }
  /** Close every session of this user key (optionally only those of one identity key) with the code. */
  | { kind: 'disconnect'; key: string; fingerprint?: string; code: 'KICKED' | 'BANNED'; reason: string; removal?: RemovalNotice }
  | { kind: 'server_stopping'; server: string; reason: string }
  /** A reconnect logged in on `server` naming this session (`resume`): close it, quietly for its rooms. */
  | { kind: 'resumed'; key: string; fingerprint: string; token: string; server: string };

export interface ClusterLink {
  /** The chat's id, made once with its database: the same on every server of the chat. */
  readonly chatId: string;
  /** The chat's name, which every server of it advertises: the first server's --name (known after start). */
  readonly chatName: string;
  /** Joins the chat's servers under this name and the address clients reach it at (if known); heartbeats until close. */
  start(serverName: string, address: string | null): Promise<void>;
  /** The other servers of the chat that are alive, and where clients reach them. */
  otherServers(): Array<{ name: string; address: string }>;
  publishPresence(key: string, person: LocalPerson | undefined): void;
  /** People online on the other servers, one entry per (server, person). */
  remotePeople(): RemotePerson[];
  /** A person's presence on another server changed (before/after: their entry there, if any). */
  onPresence(listener: (before: RemotePerson | undefined, after: RemotePerson | undefined) => void): void;
  publish(notice: ClusterNotice): void;
  onNotice(listener: (notice: ClusterNotice) => void): void;
}
