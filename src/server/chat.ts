// The chat's semantics: who is online under which name, rooms and their members, messages to rooms
// and to users, history, presence and blocks. Sessions come in already authenticated by the
// transport; this module decides what they may do and who hears about it.

import { ParlorError } from '../protocol/errors.ts';
import type { ChatMessage, PeerKey, Reply, Request } from '../protocol/messages.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import type { ChatStore, NewMessage, RoomRecord, StoredMessage } from '../store/store.ts';
import { BanList } from './ban-list.ts';
import { BlockList } from './block-list.ts';
import { KeyDirectory } from './keys.ts';
import { FailureTracker } from './limits.ts';
import { MessageWriter } from './message-writer.ts';
import { checkRoomName, checkUserName, foldName } from './names.ts';
import { constantTimeEqual, hashPassword, verifyPassword } from './passwords.ts';
import type { Session } from './session.ts';

export const LOBBY = 'lobby';

export interface ChatSettings {
  joinPassword: string;
  /** For /op and !quit; never advertised. */
  operatorPassword: string;
  nameReservationMs: number;
  historyLimit: number;
  maxMessageBytes: number;
}

interface LiveRoom {
  record: RoomRecord;
  members: Set<Session>;
}

/** A failed check that also says how long to wait (rate limits, password slow-down). */
export class RetryLaterError extends ParlorError {
  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message, { retryAfterMs });
  }
}

export class ChatService {
  private readonly online = new Map<string, Session>();
  private readonly rooms = new Map<string, LiveRoom>();
  private readonly blocks: BlockList;
  private readonly bans: BanList;
  private readonly writer: MessageWriter;
  private readonly failures = new FailureTracker();
  /** Display names by key, so delivering a message never asks the store who sent it. */
  private readonly names = new Map<string, string>();
  // End-to-end: identity keys to seal to, and which rooms are secret (rooms never change kind).
  private readonly keys: KeyDirectory;
  private readonly secretRooms = new Map<string, boolean>();

  constructor(
    private readonly store: ChatStore,
    private readonly settings: ChatSettings,
  ) {
    this.blocks = new BlockList(store);
    this.bans = new BanList(store);
    this.writer = new MessageWriter(store);
    this.keys = new KeyDirectory(store);
    if (!store.getRoom(LOBBY)) store.createRoom({ key: LOBBY, name: LOBBY, passwordHash: null, createdBy: null, createdAt: Date.now() });
  }

  get onlineCount(): number {
    return this.online.size;
  }

  /** Writes what is accepted but not yet committed (at shutdown). */
  flush(): void {
    this.writer.flush();
  }

  // --- logging in and out -------------------------------------------------------------------

  login(session: Session, request: Request<'login'>): Reply<'login'> {
    if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    const { display, key } = checkUserName(request.name);
    this.checkSlowdown([`address:${session.address}`, `name:${key}`]);
    if (!constantTimeEqual(request.password, this.settings.joinPassword)) {
      this.failures.fail(`address:${session.address}`);
      this.failures.fail(`name:${key}`);
      throw new ParlorError('BAD_PASSWORD', 'the join password is wrong');
    }
    const now = Date.now();
    const fingerprint = session.client.fingerprint;
    const ban = this.bans.get(fingerprint);
    if (ban) throw new ParlorError('BANNED', `this identity key is banned from the server: ${ban.reason}`);
    const live = this.online.get(key);
    if (live && live.client.fingerprint !== fingerprint) throw new ParlorError('NAME_TAKEN', `"${live.user!.name}" is online now`);
    const existing = this.store.getUser(key);
    if (existing && existing.fingerprint !== fingerprint && now - existing.lastSeen < this.settings.nameReservationMs) {
      const until = new Date(existing.lastSeen + this.settings.nameReservationMs).toISOString().slice(0, 10);
      throw new ParlorError('NAME_RESERVED', `"${existing.name}" belongs to another identity key until ${until}`);
    }
    if (live) {
      // The same key again: most likely a reconnect whose old connection the server has not yet
      // seen die. The new connection wins.
      live.connection.close('SESSION_REPLACED', 'you logged in again from another connection');
      this.logout(live);
    }
    this.failures.succeed(`name:${key}`);
    const name = existing && existing.fingerprint === fingerprint ? existing.name : display;
    this.store.putUser({ key, name, fingerprint, lastSeen: now, lastMessageAt: existing?.fingerprint === fingerprint ? existing.lastMessageAt : null });
    this.keys.remember(session.client);
    session.user = { key, name };
    this.online.set(key, session);
    this.names.set(key, name);
    const direct = this.directPage(key, { after: request.directSince });
    return { name, fingerprint, direct: direct.messages, directMore: direct.more };
  }

  /** A session ends: it leaves its rooms (telling their members) and goes offline. */
  logout(session: Session): void {
    const user = session.user;
    if (!user) return;
    for (const roomKey of [...session.rooms]) this.removeMember(session, roomKey, 'disconnected');
    if (this.online.get(user.key) === session) this.online.delete(user.key);
    this.store.touchUser(user.key, Date.now());
    session.user = undefined;
  }

  // --- rooms ---------------------------------------------------------------------------------

  async create(session: Session, request: Request<'create'>): Promise<Reply<'create'>> {
    const user = this.userOf(session);
    const { display, key } = checkRoomName(request.room);
    if (this.store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: /join it`);
    const passwordHash = request.password === undefined ? null : await hashPassword(request.password);
    // Checked again after the await: another session may have created it meanwhile, or this one
    // may have gone.
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    if (this.store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: /join it`);
    this.store.createRoom({ key, name: display, passwordHash, createdBy: user.key, createdAt: Date.now() });
    if (request.secret === true) this.store.markRoomSecret(key);
    this.secretRooms.set(key, request.secret === true);
    return this.enter(session, key, undefined);
  }

  async join(session: Session, request: Request<'join'>): Promise<Reply<'join'>> {
    this.userOf(session);
    const { key } = checkRoomName(request.room);
    const record = this.store.getRoom(key);
    if (!record) throw new ParlorError('ROOM_NOT_FOUND', `there is no room #${request.room}: /create it`);
    if (record.passwordHash !== null && !session.rooms.has(key)) {
      const slowKeys = [`address:${session.address}`, `room:${key}:${session.user!.key}`];
      this.checkSlowdown(slowKeys);
      if (request.password === undefined || !(await verifyPassword(request.password, record.passwordHash))) {
        for (const slowKey of slowKeys) this.failures.fail(slowKey);
        throw new ParlorError('BAD_PASSWORD', `#${record.name} needs its password`);
      }
    }
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    return this.enter(session, key, request.since);
  }

  leave(session: Session, request: Request<'leave'>): Reply<'leave'> {
    this.userOf(session);
    const key = foldName(request.room.replace(/^#/, ''));
    const room = this.rooms.get(key);
    if (!room || !session.rooms.has(key)) throw new ParlorError('NOT_IN_ROOM', `you are not in #${request.room}`);
    this.removeMember(session, key, 'left');
    return { room: room.record.name };
  }

  listRooms(session: Session): Reply<'rooms'> {
    this.userOf(session);
    return {
      rooms: this.store.listRooms().map((room) => ({
        name: room.name,
        members: this.rooms.get(room.key)?.members.size ?? 0,
        hasPassword: room.passwordHash !== null,
        secret: this.isSecret(room.key),
      })),
    };
  }

  members(session: Session, request: Request<'members'>): Reply<'members'> {
    this.userOf(session);
    const room = this.liveRoomOf(session, request.room);
    return {
      room: room.record.name,
      members: [...room.members].map((member) => ({
        name: member.user!.name,
        lastMessageAt: this.store.getUser(member.user!.key)?.lastMessageAt ?? null,
      })),
    };
  }

  // --- messages ------------------------------------------------------------------------------

  say(session: Session, request: Request<'say'>, done: (reply: Reply<'say'>) => void, failed: (error: unknown) => void): void {
    const user = this.userOf(session);
    this.checkLength(request.text);
    const room = this.liveRoomOf(session, request.room);
    const roomKey = room.record.key;
    if (this.isSecret(roomKey)) throw new ParlorError('E2E_REQUIRED', `#${room.record.name} is secret: only sealed messages go there`);
    this.postToRoom(session, { room: roomKey, to: null, from: user.key, text: request.text, ts: Date.now() }, done, failed);
  }

  dm(session: Session, request: Request<'dm'>, done: (reply: Reply<'dm'>) => void, failed: (error: unknown) => void): void {
    const user = this.userOf(session);
    this.checkLength(request.text);
    const toKey = foldName(request.to);
    const recipient = this.store.getUser(toKey);
    if (!recipient) throw new ParlorError('USER_NOT_FOUND', `no one called "${request.to}" has ever been here`);
    if (this.blocks.between(user.key, toKey)) throw new ParlorError('BLOCKED', `you cannot message ${recipient.name}: one of you blocked the other`);
    this.postDirect(session, recipient.name, { room: null, to: toKey, from: user.key, text: request.text, ts: Date.now() }, done, failed);
  }

  /**
   * Stores a room message, then acks the sender and fans it out to the members who have not
   * blocked the sender (or been blocked): nobody sees a message that could still vanish.
   */
  private postToRoom(session: Session, message: NewMessage, done: (reply: Reply<'say'>) => void, failed: (error: unknown) => void): void {
    const roomKey = message.room!;
    this.writer.write(
      message,
      (stored) => {
        done({ id: stored.id, ts: stored.ts });
        const current = this.rooms.get(roomKey);
        if (!current) return;
        // Encoded once for every member: the records share one buffer.
        const record = encodeJsonRecord(this.toWire(stored));
        for (const member of current.members) {
          if (member !== session && !this.blocks.between(member.user!.key, message.from)) member.sendRecord(record, true);
        }
      },
      failed,
    );
  }

  /** Stores a direct message, then acks the sender and delivers it if the recipient is online. */
  private postDirect(session: Session, toName: string, message: NewMessage, done: (reply: Reply<'dm'>) => void, failed: (error: unknown) => void): void {
    this.writer.write(
      message,
      (stored) => {
        done({ id: stored.id, ts: stored.ts, to: toName });
        const live = this.online.get(message.to!);
        if (live && live !== session) live.send(this.toWire(stored));
      },
      failed,
    );
  }

  history(session: Session, request: Request<'history'>): Reply<'history'> {
    const user = this.userOf(session);
    const limit = Math.min(request.limit ?? this.settings.historyLimit, 500);
    if (request.room !== undefined) {
      const room = this.liveRoomOf(session, request.room);
      return this.roomPage(room.record.key, user.key, { before: request.before, after: request.after, limit });
    }
    if (request.with !== undefined) {
      const other = foldName(request.with);
      const page = this.directPage(user.key, { before: request.before, after: request.after, limit: 500 });
      const messages = page.messages.filter((m) => foldName(m.from) === other || (m.to !== undefined && foldName(m.to) === other));
      return { messages: messages.slice(-limit), more: page.more || messages.length > limit };
    }
    return this.directPage(user.key, { before: request.before, after: request.after, limit });
  }

  // --- people --------------------------------------------------------------------------------

  users(session: Session): Reply<'users'> {
    this.userOf(session);
    return {
      users: [...this.online.values()].map((member) => ({
        name: member.user!.name,
        lastMessageAt: this.store.getUser(member.user!.key)?.lastMessageAt ?? null,
        rooms: [...member.rooms].map((key) => this.rooms.get(key)?.record.name ?? key),
      })),
    };
  }

  allUsers(session: Session): Reply<'allusers'> {
    this.userOf(session);
    return {
      users: this.store.listUsers().map((user) => ({
        name: user.name,
        lastSeen: this.online.has(user.key) ? Date.now() : user.lastSeen,
        lastMessageAt: user.lastMessageAt,
        online: this.online.has(user.key),
      })),
    };
  }

  whoami(session: Session): Reply<'whoami'> {
    const user = this.userOf(session);
    return {
      name: user.name,
      fingerprint: session.client.fingerprint,
      rooms: [...session.rooms].map((key) => this.rooms.get(key)?.record.name ?? key),
      address: session.remote,
    };
  }

  block(session: Session, request: Request<'block'>): Reply<'block'> {
    const user = this.userOf(session);
    const target = this.store.getUser(foldName(request.name));
    if (!target) throw new ParlorError('USER_NOT_FOUND', `no one called "${request.name}" has ever been here`);
    if (target.key === user.key) throw new ParlorError('BAD_REQUEST', 'you cannot block yourself');
    this.blocks.block(user.key, target.key);
    return { name: target.name };
  }

  unblock(session: Session, request: Request<'unblock'>): Reply<'unblock'> {
    const user = this.userOf(session);
    const key = foldName(request.name);
    this.blocks.unblock(user.key, key);
    return { name: this.store.getUser(key)?.name ?? request.name };
  }

  blocked(session: Session): Reply<'blocked'> {
    const user = this.userOf(session);
    return { names: this.blocks.blockedBy(user.key).map((key) => this.store.getUser(key)?.name ?? key) };
  }

  // --- operators ---------------------------------------------------------------------------

  /** `/op PASSWORD`: the session may use operator commands until it ends. */
  op(session: Session, request: Request<'op'>): Reply<'op'> {
    this.userOf(session);
    this.checkOperatorPassword(session, request.password);
    session.operator = true;
    return { operator: true };
  }

  /** The operator password, slowed after failures per address and per name like the join password. */
  checkOperatorPassword(session: Session, password: string): void {
    const user = this.userOf(session);
    const slowKeys = [`address:${session.address}`, `name:${user.key}`];
    this.checkSlowdown(slowKeys);
    if (!constantTimeEqual(password, this.settings.operatorPassword)) {
      for (const slowKey of slowKeys) this.failures.fail(slowKey);
      throw new ParlorError('BAD_PASSWORD', 'the operator password is wrong');
    }
  }

  kick(name: string, reason: string): { name: string } {
    const session = this.online.get(foldName(name));
    if (!session?.user) throw new ParlorError('USER_NOT_FOUND', `"${name}" is not online`);
    const display = session.user.name;
    // The close event logs it out, as for any disconnect (and the log names who it was).
    session.connection.close('KICKED', reason);
    return { name: display };
  }

  /** Bans the key that the name is bound to, and disconnects it if it is online. */
  ban(name: string, reason: string, by: string): { name: string; fingerprint: string } {
    const user = this.store.getUser(foldName(name));
    if (!user) throw new ParlorError('USER_NOT_FOUND', `no one called "${name}" has ever been here`);
    this.bans.add({ fingerprint: user.fingerprint, name: user.name, reason, bannedBy: by, at: Date.now() });
    const live = this.online.get(user.key);
    if (live && live.client.fingerprint === user.fingerprint) {
      live.connection.close('BANNED', reason);
    }
    return { name: user.name, fingerprint: user.fingerprint };
  }

  unban(nameOrFingerprint: string): { name: string; fingerprint: string } {
    const ban = nameOrFingerprint.startsWith('SHA256:')
      ? this.bans.get(nameOrFingerprint)
      : this.bans.findByName(foldName, nameOrFingerprint) ?? this.bans.get(this.store.getUser(foldName(nameOrFingerprint))?.fingerprint ?? '');
    if (!ban) throw new ParlorError('USER_NOT_FOUND', `no ban matches "${nameOrFingerprint}"`);
    this.bans.remove(ban.fingerprint);
    return { name: ban.name, fingerprint: ban.fingerprint };
  }

  /** An operator's notice to every session online. */
  announce(from: string, text: string): { recipients: number } {
    this.checkLength(text);
    const record = encodeJsonRecord({ type: 'announcement', from, text, ts: Date.now() });
    for (const session of this.online.values()) session.sendRecord(record);
    return { recipients: this.online.size };
  }

  // --- end-to-end: sealed messages and the keys to seal them to ------------------------------
  // The server never sees the plaintext: it checks who may send where (membership, blocks) and
  // stores and relays the envelope as it came. Receiving clients verify everything else.

  saySealed(session: Session, request: Request<'e2e_say'>, done: (reply: Reply<'e2e_say'>) => void, failed: (error: unknown) => void): void {
    const user = this.userOf(session);
    const roomKey = this.liveRoomOf(session, request.room).record.key;
    this.postToRoom(session, { room: roomKey, to: null, from: user.key, text: '', ts: Date.now(), sealed: request.sealed }, done, failed);
  }

  dmSealed(session: Session, request: Request<'e2e_dm'>, done: (reply: Reply<'e2e_dm'>) => void, failed: (error: unknown) => void): void {
    const user = this.userOf(session);
    const toKey = foldName(request.to);
    const recipient = this.store.getUser(toKey);
    // No key, no one to seal to: as far as end-to-end goes, the name does not exist.
    if (!recipient || !this.keys.ofUser(recipient)) throw new ParlorError('USER_NOT_FOUND', `the server has no key for "${request.to}"`);
    if (this.blocks.between(user.key, toKey)) throw new ParlorError('BLOCKED', `you cannot message ${recipient.name}: one of you blocked the other`);
    this.postDirect(session, recipient.name, { room: null, to: toKey, from: user.key, text: '', ts: Date.now(), sealed: request.sealed }, done, failed);
  }

  /** Keys of the named users (those the server has a key for), or of a room's members. */
  identityKeys(session: Session, request: Request<'keys'>): Reply<'keys'> {
    this.userOf(session);
    const keys: PeerKey[] = [];
    if (request.room !== undefined) {
      for (const member of this.liveRoomOf(session, request.room).members) keys.push(KeyDirectory.ofClient(member.user!.name, member.client));
    }
    for (const name of request.names ?? []) {
      const live = this.online.get(foldName(name));
      const user = live ? undefined : this.store.getUser(foldName(name));
      const key = live ? KeyDirectory.ofClient(live.user!.name, live.client) : user && this.keys.ofUser(user);
      if (key) keys.push(key);
    }
    return { keys };
  }

  whois(session: Session, request: Request<'whois'>): Reply<'whois'> {
    this.userOf(session);
    const key = foldName(request.name);
    const user = this.store.getUser(key);
    const found = user && this.keys.ofUser(user);
    if (!user || !found) throw new ParlorError('USER_NOT_FOUND', `the server has no key for "${request.name}"`);
    const online = this.online.has(key);
    return { ...found, online, lastSeen: online ? Date.now() : user.lastSeen };
  }

  private isSecret(roomKey: string): boolean {
    let secret = this.secretRooms.get(roomKey);
    if (secret === undefined) this.secretRooms.set(roomKey, (secret = this.store.isRoomSecret(roomKey)));
    return secret;
  }

  // --- for file transfers (transfers.ts) ----------------------------------------------------

  /** The live session of a user to send a file to; the same checks and codes as a `dm`. */
  transferRecipient(session: Session, to: string): Session {
    const user = this.userOf(session);
    const key = foldName(to);
    const recipient = this.store.getUser(key);
    if (!recipient) throw new ParlorError('USER_NOT_FOUND', `no one called "${to}" has ever been here`);
    if (key === user.key) throw new ParlorError('BAD_REQUEST', 'you cannot send a file to yourself');
    if (this.blocks.between(user.key, key)) throw new ParlorError('BLOCKED', `you cannot send ${recipient.name} a file: one of you blocked the other`);
    const live = this.online.get(key);
    if (!live) throw new ParlorError('USER_OFFLINE', `${recipient.name} is not online`);
    return live;
  }

  /** A room's display name and the members who may receive a file from this session (not blocked). */
  transferRoom(session: Session, room: string): { name: string; members: Session[]; secret: boolean } {
    const user = this.userOf(session);
    const live = this.liveRoomOf(session, room);
    const members = [...live.members].filter((m) => m !== session && m.user !== undefined && !this.blocks.between(m.user.key, user.key));
    return { name: live.record.name, members, secret: this.isSecret(live.record.key) };
  }

  // --- helpers -------------------------------------------------------------------------------

  private userOf(session: Session): { key: string; name: string } {
    if (!session.user) throw new ParlorError('NOT_LOGGED_IN');
    return session.user;
  }

  private liveRoomOf(session: Session, name: string): LiveRoom {
    const key = foldName(name.replace(/^#/, ''));
    const room = this.rooms.get(key);
    if (!room || !session.rooms.has(key)) {
      if (!this.store.getRoom(key)) throw new ParlorError('ROOM_NOT_FOUND', `there is no room #${name}`);
      throw new ParlorError('NOT_IN_ROOM', `join #${name} first`);
    }
    return room;
  }

  private enter(session: Session, key: string, since: number | undefined): Reply<'join'> {
    const user = session.user!;
    let room = this.rooms.get(key);
    if (!room) {
      const record = this.store.getRoom(key)!;
      this.rooms.set(key, (room = { record, members: new Set() }));
    }
    if (!session.rooms.has(key)) {
      const secret = this.isSecret(key);
      const notice = encodeJsonRecord({ type: 'joined', room: room.record.name, name: user.name, ...(secret && { key: KeyDirectory.ofClient(user.name, session.client) }) });
      for (const member of room.members) if (member !== session) member.sendRecord(notice);
      room.members.add(session);
      session.rooms.add(key);
    }
    const page = this.roomPage(key, user.key, { after: since, limit: this.settings.historyLimit });
    return {
      room: room.record.name,
      members: [...room.members].map((member) => member.user!.name),
      history: page.messages,
      more: page.more,
      hasPassword: room.record.passwordHash !== null,
      ...(this.isSecret(key) && { secret: true, keys: [...room.members].map((member) => KeyDirectory.ofClient(member.user!.name, member.client)) }),
    };
  }

  private removeMember(session: Session, key: string, reason: 'left' | 'disconnected'): void {
    const room = this.rooms.get(key);
    session.rooms.delete(key);
    if (!room) return;
    room.members.delete(session);
    const notice = encodeJsonRecord({ type: 'left', room: room.record.name, name: session.user!.name, reason });
    for (const member of room.members) member.sendRecord(notice);
    if (room.members.size === 0) this.rooms.delete(key);
  }

  /** A page of a room's history as the reader may see it (no messages from blocked users). */
  private roomPage(roomKey: string, reader: string, query: { before?: number; after?: number; limit: number }): { messages: ChatMessage[]; more: boolean } {
    const rows = this.store.roomHistory(roomKey, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(reader, row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  private directPage(user: string, query: { before?: number; after?: number; limit?: number }): { messages: ChatMessage[]; more: boolean } {
    const limit = query.limit ?? this.settings.historyLimit;
    const rows = this.store.directHistory(user, { ...query, limit: limit + 1 });
    const more = rows.length > limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(user, row.from === user ? row.to! : row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  private toWire(message: StoredMessage): ChatMessage {
    const from = this.displayName(message.from);
    const sealed = message.sealed === undefined ? {} : { sealed: message.sealed };
    if (message.room !== null) {
      return { type: 'message', id: message.id, room: this.rooms.get(message.room)?.record.name ?? this.store.getRoom(message.room)?.name ?? message.room, from, text: message.text, ts: message.ts, ...sealed };
    }
    return { type: 'message', id: message.id, to: this.displayName(message.to!), from, text: message.text, ts: message.ts, ...sealed };
  }

  private displayName(key: string): string {
    let name = this.names.get(key);
    if (name === undefined) {
      name = this.store.getUser(key)?.name ?? key;
      this.names.set(key, name);
    }
    return name;
  }

  private checkLength(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > this.settings.maxMessageBytes) {
      throw new ParlorError('MESSAGE_TOO_LONG', `a message is at most ${this.settings.maxMessageBytes} bytes; this one is ${bytes}`);
    }
  }

  private checkSlowdown(keys: string[]): void {
    const wait = Math.max(...keys.map((key) => this.failures.waitMs(key)));
    if (wait > 0) throw new RetryLaterError(`too many wrong passwords: try again in ${Math.ceil(wait / 1000)} s`, wait);
  }
}
