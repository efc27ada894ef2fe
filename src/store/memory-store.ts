// The --ephemeral store: everything in memory, nothing on disk, gone when the server stops. Only
// the newest `window` messages of each room and of each direct conversation are kept (issue 17,
// item 7: without a bound it grew by ~1.1 MiB/s under 0.8 MB/s of chat, until the process died).

import { takeNewest, type BanRecord, type ChatStore, type HistoryQuery, type NameRelease, type NewMessage, type RoomRecord, type StoredIdentityKey, type StoredMessage, type UserRecord } from './store.ts';

export class MemoryStore implements ChatStore {
  readonly kind = 'memory';
  private readonly users = new Map<string, UserRecord>();
  private readonly rooms = new Map<string, RoomRecord>();
  /** Messages by room key, and direct messages by each participant's key, in id order. */
  private readonly byRoom = new Map<string, StoredMessage[]>();
  private readonly byDirectParticipant = new Map<string, StoredMessage[]>();
  /** Direct messages by conversation (the two parties' keys, in order): paging one, and the unit of the window. */
  private readonly byConversation = new Map<string, StoredMessage[]>();
  private readonly blocks = new Set<string>();
  private readonly bans = new Map<string, BanRecord>();
  private readonly releases = new Map<string, NameRelease>();
  private nextId = 1;
  /** Messages by sender and nonce (findByNonce). */
  private readonly byNonce = new Map<string, StoredMessage>();

  constructor(private readonly window = Infinity) {}

  getUser(key: string): UserRecord | undefined {
    const user = this.users.get(key);
    return user && { ...user };
  }

  putUser(user: UserRecord): void {
    this.users.set(user.key, { ...user });
  }

  touchUser(key: string, lastSeen: number): void {
    const user = this.users.get(key);
    if (user) user.lastSeen = lastSeen;
  }

  listUsers(): UserRecord[] {
    return [...this.users.values()].map((user) => ({ ...user }));
  }

  getRoom(key: string): RoomRecord | undefined {
    const room = this.rooms.get(key);
    return room && { ...room };
  }

  createRoom(room: RoomRecord): void {
    if (!this.rooms.has(room.key)) this.rooms.set(room.key, { ...room });
  }

  listRooms(): RoomRecord[] {
    return [...this.rooms.values()].map((room) => ({ ...room }));
  }

  appendMessages(messages: NewMessage[]): StoredMessage[] {
    const stored: StoredMessage[] = [];
    for (const incoming of messages) {
      const first = incoming.nonce === undefined ? undefined : this.findByNonce(incoming.from, incoming.nonce);
      if (first) {
        stored.push({ ...first, repeated: true });
        continue;
      }
      const message = { ...incoming, id: this.nextId++ };
      stored.push(message);
      if (message.room !== null) {
        const room = listIn(this.byRoom, message.room);
        room.push(message);
        if (room.length > this.window) this.forget(room.shift()!);
      } else {
        listIn(this.byDirectParticipant, message.from).push(message);
        if (message.to !== null && message.to !== message.from) listIn(this.byDirectParticipant, message.to).push(message);
        const conversation = listIn(this.byConversation, conversationKey(message.from, message.to ?? message.from));
        conversation.push(message);
        if (conversation.length > this.window) this.forgetDirect(conversation.shift()!);
      }
      const sender = this.users.get(message.from);
      if (sender) sender.lastMessageAt = message.ts;
      if (message.nonce !== undefined) this.byNonce.set(nonceKey(message.from, message.nonce), message);
    }
    return stored.map((message) => ({ ...message }));
  }

  /** A direct message leaves its participants' lists (by id: they are in id order) and is forgotten. */
  private forgetDirect(message: StoredMessage): void {
    for (const participant of new Set([message.from, message.to ?? message.from])) {
      const list = this.byDirectParticipant.get(participant);
      const at = list ? indexOfId(list, message.id) : -1;
      if (at >= 0) list!.splice(at, 1);
    }
    this.forget(message);
  }

  private forget(message: StoredMessage): void {
    if (message.nonce === undefined) return;
    const key = nonceKey(message.from, message.nonce);
    if (this.byNonce.get(key) === message) this.byNonce.delete(key);
  }

  findByNonce(from: string, nonce: string): StoredMessage | undefined {
    const found = this.byNonce.get(nonceKey(from, nonce));
    return found && { ...found };
  }

  roomHistory(room: string, query: HistoryQuery): StoredMessage[] {
    return newest(this.byRoom.get(room), query);
  }

  directHistory(user: string, query: HistoryQuery): StoredMessage[] {
    return newest(this.byDirectParticipant.get(user), query);
  }

  conversationHistory(a: string, b: string, query: HistoryQuery): StoredMessage[] {
    return newest(this.byConversation.get(conversationKey(a, b)), query);
  }

  block(blocker: string, blocked: string): void {
    this.blocks.add(JSON.stringify([blocker, blocked]));
  }

  unblock(blocker: string, blocked: string): void {
    this.blocks.delete(JSON.stringify([blocker, blocked]));
  }

  listBlocks(): Array<[string, string]> {
    return [...this.blocks].map((pair) => JSON.parse(pair) as [string, string]);
  }

  putNameRelease(release: NameRelease): void {
    this.releases.set(release.key, { ...release });
  }

  getNameRelease(key: string): NameRelease | undefined {
    const release = this.releases.get(key);
    return release && { ...release };
  }

  deleteNameRelease(key: string): void {
    this.releases.delete(key);
  }

  putBan(ban: BanRecord): void {
    this.bans.set(ban.fingerprint, { ...ban });
  }

  deleteBan(fingerprint: string): void {
    this.bans.delete(fingerprint);
  }

  listBans(): BanRecord[] {
    return [...this.bans.values()].map((ban) => ({ ...ban }));
  }

  // --- end-to-end ----------------------------------------------------------------------------
  private readonly identityKeys = new Map<string, StoredIdentityKey>();
  private readonly secretRooms = new Set<string>();

  putIdentityKey(fingerprint: string, key: StoredIdentityKey): void {
    // viaSsh comes only from a shared store, whose memory copy this is (store.ts).
    this.identityKeys.set(fingerprint, { exponent: Buffer.from(key.exponent), modulus: Buffer.from(key.modulus), ...(key.viaSsh === true && { viaSsh: true }) });
  }

  getIdentityKey(fingerprint: string): StoredIdentityKey | undefined {
    return this.identityKeys.get(fingerprint);
  }

  markRoomSecret(room: string): void {
    this.secretRooms.add(room);
  }

  isRoomSecret(room: string): boolean {
    return this.secretRooms.has(room);
  }

  close(): void {}
}

function listIn(index: Map<string, StoredMessage[]>, key: string): StoredMessage[] {
  let list = index.get(key);
  if (!list) index.set(key, (list = []));
  return list;
}

/** The newest `limit` messages of an id-ordered list that fit the bounds (and maxBytes), oldest first. */
function newest(list: StoredMessage[] | undefined, query: HistoryQuery): StoredMessage[] {
  const { before, after, limit } = query;
  if (!list) return [];
  let end = list.length;
  if (before !== undefined) {
    let low = 0;
    while (low < end) {
      const mid = (low + end) >>> 1;
      if (list[mid]!.id < before) low = mid + 1;
      else end = mid;
    }
  }
  let start = Math.max(0, end - limit);
  if (after !== undefined) while (start < end && list[start]!.id <= after) start++;
  return takeNewest(newestFirst(list, start, end), query);
}

function* newestFirst(list: StoredMessage[], start: number, end: number): Generator<StoredMessage> {
  for (let i = end - 1; i >= start; i--) yield { ...list[i]! };
}

/** The position of the message with this id in an id-ordered list, or -1. */
function indexOfId(list: StoredMessage[], id: number): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.id < id) low = mid + 1;
    else high = mid;
  }
  return low < list.length && list[low]!.id === id ? low : -1;
}

/** One map key for the two parties of a conversation, whichever wrote. */
function conversationKey(a: string, b: string): string {
  return a < b ? `${a}\0${b}` : `${b}\0${a}`;
}

/** One map key for a sender and a nonce of theirs. */
function nonceKey(from: string, nonce: string): string {
  return `${from}\0${nonce}`;
}
