// What the server keeps, behind one small interface: SQLite on disk by default, memory with
// --ephemeral. The router never knows which. Names and rooms are keyed by their folded form
// (NFC, lower case), so "Ada" and "ada" are one user; the display form is kept beside it.

import type { ClusterLink } from './cluster-link.ts';

export interface UserRecord {
  key: string;
  name: string;
  /** The identity key that the name is bound to (reserved for it while not idle too long). */
  fingerprint: string;
  lastSeen: number;
  lastMessageAt: number | null;
}

export interface RoomRecord {
  key: string;
  name: string;
  /** scrypt hash of the room password ("scrypt$N$r$p$salt$hash"), or null for an open room. */
  passwordHash: string | null;
  createdBy: string | null;
  createdAt: number;
}

/** An identity key that an operator banned (`!ban`): it cannot log in until `!unban`. */
export interface BanRecord {
  fingerprint: string;
  /** The name the key last used, for people reading the list. */
  name: string;
  reason: string;
  bannedBy: string;
  at: number;
}

/**
 * An operator's `!release NAME`: the name's binding to `fingerprint` no longer reserves it. The next
 * login with the name (by any key) takes it and is told; the record is then deleted.
 */
export interface NameRelease {
  key: string;
  /** The key the name was bound to when it was released. */
  fingerprint: string;
  releasedBy: string;
  at: number;
}

export interface NewMessage {
  /** The room's key, or null for a direct message. */
  room: string | null;
  /** For a direct message, the recipient's user key. */
  to: string | null;
  from: string;
  text: string;
  ts: number;
  /** End-to-end: the sealed envelope (base64), which the server cannot read; `text` is then ''. */
  sealed?: string;
  /** The sender's own key for this message, if it gave one: a retry with it is not stored twice. */
  nonce?: string;
}

export interface StoredMessage extends NewMessage {
  id: number;
  /**
   * Set by appendMessages on a message not stored because its sender had already stored one with
   * the same nonce (a retry): what is returned in its place is that first message.
   */
  repeated?: true;
}

export interface HistoryQuery {
  /** Only messages with a smaller id (paging back). */
  before?: number;
  /** Only messages with a larger id (catching up after a reconnect). */
  after?: number;
  limit: number;
  /**
   * Stop once the messages taken pass this many bytes (messageBytes); the message that passes it
   * is returned too, so that the caller can tell the page was cut.
   */
  maxBytes?: number;
}

/** About what a message costs in a reply beyond its text and envelope: ids, names, field names. */
const MESSAGE_WIRE_OVERHEAD = 256;

export function messageBytes(message: NewMessage): number {
  return Buffer.byteLength(message.text) + (message.sealed?.length ?? 0) + MESSAGE_WIRE_OVERHEAD;
}

/**
 * Takes messages newest first, one at a time, until `limit` are taken or their bytes pass
 * `maxBytes`, and returns them oldest first: a page never reads more than its budget and one
 * message more, however large the rows (issue 17, item 5).
 */
export function takeNewest(newestFirst: Iterable<StoredMessage>, { limit, maxBytes = Infinity }: HistoryQuery): StoredMessage[] {
  const taken: StoredMessage[] = [];
  let bytes = 0;
  for (const message of newestFirst) {
    if (taken.length >= limit) break;
    taken.push(message);
    bytes += messageBytes(message);
    if (bytes > maxBytes) break;
  }
  return taken.reverse();
}

/**
 * SQLite and memory answer at once; PostgreSQL (a store shared by several servers) answers later.
 * Only the message path may wait: the small tables are kept in memory by every store.
 */
export type Eventually<T> = T | Promise<T>;

/** Every message committed by any server of a shared store, in id order, each once. */
export interface MessageFeed {
  subscribe(deliver: (messages: StoredMessage[]) => void): void;
  /**
   * The newest id delivered to the subscribers so far: everything up to it went out live, what
   * comes after will. A history page for a session that is already receiving live stops there.
   */
  lastDelivered(): number;
}

export interface ChatStore {
  readonly kind: 'sqlite' | 'memory' | 'postgres';
  /** Set by a store that several servers share: their messages reach this one through it. */
  readonly feed?: MessageFeed;
  /** Set by a store that several servers share: who is online where, and notices between servers. */
  readonly cluster?: ClusterLink;
  /** A shared store: a small table's row changed on another server ('*': maybe all of them). */
  onRowChange?(listener: (table: 'user' | 'room' | 'block' | 'ban' | 'key' | 'secret' | 'release', key: string) => void): void;

  getUser(key: string): UserRecord | undefined;
  /** Creates or replaces the user row (a name taken over after its reservation lapsed). */
  putUser(user: UserRecord): void;
  /**
   * A shared store: binds the name to `user.fingerprint` in one atomic step, if the name is still
   * bound to `previous` (undefined: not bound to anyone), or already to this key. False when
   * another key got it first (a login of the same new name on another server at the same moment).
   * The row is then read again. Stores used by one server alone bind in putUser, synchronously.
   */
  bindName?(user: UserRecord, previous: string | undefined): Promise<boolean>;
  /** A shared store: resolves once the small-table writes made so far are stored and the other servers told. */
  writesSettled?(): Promise<void>;
  touchUser(key: string, lastSeen: number): void;
  listUsers(): UserRecord[];

  getRoom(key: string): RoomRecord | undefined;
  createRoom(room: RoomRecord): void;
  listRooms(): RoomRecord[];

  /**
   * Appends in one transaction; returns them with their ids. Durable once it returns. A message
   * with a nonce its sender already used (before, or earlier in the same call) is not stored: the
   * first one comes back in its place, marked `repeated`.
   */
  appendMessages(messages: NewMessage[]): Eventually<StoredMessage[]>;
  /** The message a sender stored with this nonce, if any (a retry after a dropped connection). */
  findByNonce(from: string, nonce: string): Eventually<StoredMessage | undefined>;
  /** A room's messages, oldest first: the newest `limit` that match. */
  roomHistory(room: string, query: HistoryQuery): Eventually<StoredMessage[]>;
  /** Direct messages to or from a user, oldest first: the newest `limit` that match. */
  directHistory(user: string, query: HistoryQuery): Eventually<StoredMessage[]>;
  /**
   * The direct messages between two users (either way), oldest first: the newest `limit` that
   * match. Looked up by the two parties (indexed), so one busy conversation never crowds another
   * out of a page.
   */
  conversationHistory(a: string, b: string, query: HistoryQuery): Eventually<StoredMessage[]>;

  block(blocker: string, blocked: string): void;
  unblock(blocker: string, blocked: string): void;
  /** Every block, as [blocker, blocked] pairs: loaded once at start, kept in memory after. */
  listBlocks(): Array<[string, string]>;

  putNameRelease(release: NameRelease): void;
  getNameRelease(key: string): NameRelease | undefined;
  deleteNameRelease(key: string): void;

  putBan(ban: BanRecord): void;
  deleteBan(fingerprint: string): void;
  /** Every ban: loaded once at start, kept in memory after. */
  listBans(): BanRecord[];
  // --- end-to-end (issue 9) -----------------------------------------------------------------
  /** A client's RSA public key by its fingerprint, kept so that others can seal to it while it is away. */
  putIdentityKey(fingerprint: string, key: StoredIdentityKey): void;
  getIdentityKey(fingerprint: string): StoredIdentityKey | undefined;
  /** A secret room takes only sealed messages. */
  markRoomSecret(room: string): void;
  isRoomSecret(room: string): boolean;

  /** Lets go of the store; a shared one first writes what is still on its way. */
  close(): Eventually<void>;
}

export interface StoredIdentityKey {
  exponent: Buffer;
  modulus: Buffer;
  /**
   * A shared store only: an SSH front door of one of the chat's servers holds this key (it is
   * never end-to-end), so that the other servers say so too. A server alone knows it from
   * `sshHeldKeys` (server/keys.ts); SQLite and memory do not keep it.
   */
  viaSsh?: boolean;
}
