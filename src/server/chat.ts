// The chat's semantics: who is online under which name, rooms and their members, messages to rooms
// and to users, history, presence and blocks. Sessions come in already authenticated by the
// transport; this module decides what they may do and who hears about it. One identity may hold
// several sessions at once (presence.ts): each gets what its person should. Room membership
// (room-directory.ts), history pages (history-reader.ts), delivery (fan-out.ts), who is who
// (people.ts), operators (moderation.ts) and the chat's other servers (cluster.ts) are its parts.

import { randomBytes } from 'node:crypto';
import { ParlorError } from '../protocol/errors.ts';
import type { Reply, Request } from '../protocol/messages.ts';
import type { ChatStore, NewMessage } from '../store/store.ts';
import { BanList } from './ban-list.ts';
import { BlockList } from './block-list.ts';
import { FanOut } from './fan-out.ts';
import { ClusterBridge } from './cluster.ts';
import { HistoryReader } from './history-reader.ts';
import { KeyDirectory } from './keys.ts';
import { LookAlikeGuard } from './look-alikes.ts';
import { MessageWriter } from './message-writer.ts';
import { Moderation } from './moderation.ts';
import { claimName } from './name-binding.ts';
import { checkRoomName, checkUserName, foldName } from './names.ts';
import { guesser, PasswordGuard, type GuessLimits } from './password-guard.ts';
import { constantTimeEqual } from './passwords.ts';
import { PasswordHashing } from './password-hashing.ts';
import { RoomCreations, type RoomCreationLimits } from './room-creations.ts';
import { People } from './people.ts';
import { Presence } from './presence.ts';
import { peopleIn, RoomDirectory } from './room-directory.ts';
import { checkSealedSize } from './sealed-size.ts';
import type { ServerEvent } from './events.ts';
import type { Session } from './session.ts';

export const LOBBY = 'lobby';

export interface ChatSettings {
  joinPassword: string;
  /** For /op and !quit; never advertised. */
  operatorPassword: string;
  nameReservationMs: number;
  /** The slow-down for password guessing (password-guard.ts). */
  guessLimits: GuessLimits;
  historyLimit: number;
  /** Bytes of messages in one history page or join/login reply (kept under the outbound cap). */
  historyPageBytes: number;
  maxMessageBytes: number;
  /** Sessions one identity may hold at once; the next login is TOO_MANY_SESSIONS (or replaces them, if asked). */
  maxSessionsPerIdentity: number;
  /** `create` (issue 17, item 6): rooms per creator and in all, creations a minute, scrypt at once. */
  rooms: RoomCreationLimits;
  /** This server's name, as the other servers of a shared store's chat show it. */
  serverName?: string;
  /** How long an open room's joined and left notices may wait for others to share a frame (room-notices.ts). */
  presenceCoalesceMs?: number;
}

export class ChatService {
  readonly moderation: Moderation;
  readonly people: People;
  private readonly online = new Presence();
  private readonly rooms: RoomDirectory;
  private readonly reader: HistoryReader;
  private readonly blocks: BlockList;
  private readonly bans: BanList;
  private readonly writer: MessageWriter;
  private readonly guard: PasswordGuard;
  /** End-to-end: the identity keys to seal to. */
  private readonly keys: KeyDirectory;
  /** Refuses names that look like names in use (NAME_CONFUSABLE). */
  private readonly lookAlikes: LookAlikeGuard;
  private readonly hashing: PasswordHashing;
  private readonly creations: RoomCreations;
  /** Delivers committed messages to this server's sessions (and, with a shared store, the other servers'). */
  private readonly fanOut: FanOut;
  /** With a shared store: the chat's other servers (who is online there, notices). */
  private readonly cluster: ClusterBridge | undefined;

  constructor(
    private readonly store: ChatStore,
    private readonly settings: ChatSettings,
    /** What the server logs (`parlor serve --json`): here, names released by operators. */
    report: (event: ServerEvent) => void = () => {},
  ) {
    this.blocks = new BlockList(store);
    this.bans = new BanList(store);
    this.writer = new MessageWriter(store);
    this.keys = new KeyDirectory(store);
    this.guard = new PasswordGuard(settings.guessLimits);
    this.lookAlikes = new LookAlikeGuard(store, settings.nameReservationMs, (key) => this.online.isOnline(key));
    this.rooms = new RoomDirectory(store, () => settings.presenceCoalesceMs ?? 0);
    this.hashing = new PasswordHashing(settings.rooms.passwordHashConcurrency, settings.rooms.maxQueuedPasswordHashes);
    this.reader = new HistoryReader(store, this.blocks, this.rooms, (fingerprint) => this.keys.heldOverSsh(fingerprint));
    this.cluster =
      store.cluster &&
      new ClusterBridge(store.cluster, settings.serverName ?? '', this.online, this.rooms, (person) => {
        const user = store.getUser(person.key);
        return user && user.fingerprint === person.fingerprint ? this.keys.ofUser(user) : undefined;
      });
    this.people = new People(store, this.online, this.rooms, this.blocks, this.keys, this.cluster);
    this.moderation = new Moderation(store, this.bans, this.online, this.guard, settings, (text) => this.checkLength(text), report, this.cluster);
    store.onRowChange?.((table) => {
      if (table === 'ban') this.bans.reload();
      if (table === 'block') this.blocks.reload();
    });
    this.fanOut = new FanOut(store, this.rooms, this.online, this.blocks, this.reader);
    if (!store.getRoom(LOBBY)) store.createRoom({ key: LOBBY, name: LOBBY, passwordHash: null, createdBy: null, createdAt: Date.now() });
    this.creations = new RoomCreations(store, settings.rooms);
  }

  get onlineCount(): number {
    return this.online.peopleCount;
  }

  /** Writes what is accepted but not yet committed (at shutdown). */
  flush(): void {
    this.writer.flush();
  }

  /** Resolves once everything accepted is committed (a shared store answers later). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /** Before any reply to this session: what its rooms were told before the request reaches it first. */
  beforeReply(session: Session): void {
    this.rooms.flushNoticesFor(session);
  }

  // --- logging in and out -------------------------------------------------------------------

  async login(session: Session, request: Request<'login'>): Promise<Reply<'login'>> {
    if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    const { display, key } = checkUserName(request.name);
    const right = await this.guard.attempt(guesser(session), 'join', () => constantTimeEqual(request.password, this.settings.joinPassword), () => session.isOpen);
    if (right === undefined || !session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
    if (!right) throw new ParlorError('BAD_PASSWORD', 'the join password is wrong');
    if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    const now = Date.now();
    const fingerprint = session.client.fingerprint;
    const ban = this.bans.get(fingerprint);
    if (ban) throw new ParlorError('BANNED', `this identity key was banned from the server by ${ban.bannedBy}${ban.reason === '' ? '' : `: ${ban.reason}`}`);
    const live = this.online.anyOf(key);
    if (live && live.client.fingerprint !== fingerprint) throw new ParlorError('NAME_TAKEN', `"${live.user!.name}" is online now`);
    const elsewhere = this.cluster?.elsewhere(key).find((person) => person.fingerprint !== fingerprint);
    if (elsewhere) throw new ParlorError('NAME_TAKEN', `"${elsewhere.name}" is online now, on server ${elsewhere.server}`);
    const { existing, release } = claimName(this.store, key, fingerprint, this.settings.nameReservationMs, now);
    this.lookAlikes.checkUser(key, display, fingerprint, now);
    if (this.store.bindName && existing?.fingerprint !== fingerprint) {
      // A shared store: another server may be binding the same name this instant. One wins.
      const bound = await this.store.bindName({ key, name: display, fingerprint, lastSeen: now, lastMessageAt: null }, existing?.fingerprint);
      if (!bound) throw new ParlorError('NAME_TAKEN', `"${display}" was just taken by another identity key, on another server of the chat`);
      if (!session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
      if (session.user) throw new ParlorError('ALREADY_LOGGED_IN');
    }
    const resumed = this.online.makeRoomFor(key, request, this.settings.maxSessionsPerIdentity, (other) => this.logout(other));
    const name = existing && existing.fingerprint === fingerprint ? existing.name : display;
    this.store.putUser({ key, name, fingerprint, lastSeen: now, lastMessageAt: existing?.fingerprint === fingerprint ? existing.lastMessageAt : null });
    this.lookAlikes.userNamed(key, name);
    // Told once, to the name's next login (whichever key it comes with), then forgotten.
    if (release) this.store.deleteNameRelease(key);
    this.keys.remember(session.client, session.via === 'ssh');
    if (session.via === 'ssh' && this.store.writesSettled) {
      // A shared store: the other servers hear that this key is held over ssh (and whose it is)
      // before anything is said with it, so that they mark it as not end-to-end too.
      await this.store.writesSettled();
      if (!session.isOpen) throw new ParlorError('CONNECTION_CLOSED');
    }
    session.user = { key, name };
    session.token = newSessionToken();
    this.online.add(session);
    if (resumed) {
      // The reconnect takes the old session's place in its rooms, so the rooms see nobody leave
      // and come back; then the old one goes (its close logs it out, with no rooms left to leave).
      this.rooms.handOver(resumed, session);
      resumed.connection.close('SESSION_REPLACED', 'this session reconnected on a new connection');
      this.logout(resumed);
    }
    // A reconnect whose old session is on another server of the chat: that server replaces it.
    if (!resumed && request.resume !== undefined) this.cluster?.resumeElsewhere(key, name, fingerprint, request.resume);
    this.cluster?.localChanged(key);
    this.reader.rememberName(key, name);
    let direct;
    const before = this.liveFrom();
    try {
      direct = await this.reader.directPage(key, { after: request.directSince, before, limit: this.settings.historyLimit, maxBytes: this.settings.historyPageBytes });
    } catch (error) {
      // Not logged in without the history it asked for (a shared store that cannot be read now).
      this.logout(session);
      throw error;
    }
    return {
      name,
      fingerprint,
      direct: direct.messages,
      directMore: direct.more,
      session: session.token,
      ...(release && { released: { by: release.releasedBy, at: release.at } }),
    };
  }

  /** A session ends: it leaves its rooms (telling their members) and goes offline. */
  logout(session: Session): void {
    const user = session.user;
    if (!user) return;
    for (const roomKey of [...session.rooms]) this.rooms.remove(session, roomKey, 'disconnected');
    this.online.remove(session);
    this.cluster?.localChanged(user.key);
    // A guest of the SSH front door holds its name only while online.
    this.store.touchUser(user.key, session.guest ? 0 : Date.now());
    session.user = undefined;
  }

  // --- rooms ---------------------------------------------------------------------------------

  async create(session: Session, request: Request<'create'>): Promise<Reply<'create'>> {
    const user = session.requireUser();
    if (request.secret === true) refuseIfOverSsh(session, request.room);
    const { display, key } = checkRoomName(request.room);
    if (this.store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: join it instead`);
    this.lookAlikes.checkRoom(key, display);
    this.creations.check(session, user.key);
    const passwordHash = request.password === undefined ? null : await this.hashing.hash(request.password);
    // Checked again after the await: another session may have created it meanwhile, or this one
    // may have gone.
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    if (this.store.getRoom(key)) throw new ParlorError('ROOM_EXISTS', `#${display} exists already: join it instead`);
    this.lookAlikes.checkRoom(key, display);
    this.creations.count(user.key);
    // Secret before it exists: a server sharing the store that learns of the room knows its kind.
    this.rooms.created(key, request.secret === true);
    this.store.createRoom({ key, name: display, passwordHash, createdBy: user.key, createdAt: Date.now() });
    this.lookAlikes.roomCreated(key, display);
    return this.enter(session, key, undefined);
  }

  async join(session: Session, request: Request<'join'>): Promise<Reply<'join'>> {
    session.requireUser();
    const { key } = checkRoomName(request.room);
    const record = this.store.getRoom(key);
    if (!record) throw new ParlorError('ROOM_NOT_FOUND', `there is no room #${request.room}: create it first, or check the name`);
    if (this.rooms.isSecret(key)) refuseIfOverSsh(session, record.name);
    if (record.passwordHash !== null && !session.rooms.has(key)) {
      // No password at all is not a guess: it is told apart, and not counted towards the slow-down.
      if (request.password === undefined) throw new ParlorError('PASSWORD_REQUIRED', `#${record.name} has a password of its own: give it to join`);
      const { password, passwordHash } = { password: request.password, passwordHash: record.passwordHash };
      const right = await this.guard.attempt(guesser(session), `room:${key}`, () => this.hashing.verify(password, passwordHash), () => session.isOpen);
      if (right === false) throw new ParlorError('BAD_PASSWORD', `that is not the password of #${record.name}`);
    }
    if (!session.isOpen || !session.user) throw new ParlorError('CONNECTION_CLOSED');
    return this.enter(session, key, request.since);
  }

  leave(session: Session, request: Request<'leave'>): Reply<'leave'> {
    session.requireUser();
    const key = foldName(request.room.replace(/^#/, ''));
    const room = this.rooms.get(key);
    if (!room || !session.rooms.has(key)) throw new ParlorError('NOT_IN_ROOM', `you are not in #${request.room}`);
    this.rooms.remove(session, key, 'left');
    this.cluster?.localChanged(session.user!.key);
    return { room: room.record.name };
  }

  listRooms(session: Session): Reply<'rooms'> {
    return this.rooms.list(session.requireUser().key);
  }

  members(session: Session, request: Request<'members'>): Reply<'members'> {
    session.requireUser();
    const room = this.rooms.of(session, request.room);
    // The notices still waiting would come after this list and tell it again.
    this.rooms.flushNotices(room);
    return {
      room: room.record.name,
      members: [
        ...peopleIn(room).map((member) => ({
          name: member.user!.name,
          lastMessageAt: this.store.getUser(member.user!.key)?.lastMessageAt ?? null,
          ...(this.cluster && { server: this.cluster.serverName }),
        })),
        ...(this.cluster?.remoteMembersOf(room) ?? []).map((person) => ({ name: person.name, lastMessageAt: this.store.getUser(person.key)?.lastMessageAt ?? null, server: person.server })),
      ],
    };
  }

  // --- messages ------------------------------------------------------------------------------

  say(session: Session, request: Request<'say'>, done: (reply: Reply<'say'>) => void, failed: (error: unknown) => void): void {
    const user = session.requireUser();
    this.checkLength(request.text);
    const room = this.rooms.of(session, request.room);
    const roomKey = room.record.key;
    if (this.rooms.isSecret(roomKey)) throw new ParlorError('E2E_REQUIRED', `#${room.record.name} is secret: only sealed messages go there`);
    this.postToRoom(session, { room: roomKey, to: null, from: user.key, text: request.text, ts: Date.now(), ...nonceOf(request) }, done, failed);
  }

  dm(session: Session, request: Request<'dm'>, done: (reply: Reply<'dm'>) => void, failed: (error: unknown) => void): void {
    const user = session.requireUser();
    this.checkLength(request.text);
    const toKey = foldName(request.to);
    const recipient = this.store.getUser(toKey);
    if (!recipient) throw new ParlorError('USER_NOT_FOUND', `no one called "${request.to}" has ever been here`);
    if (this.blocks.between(user.key, toKey)) throw new ParlorError('BLOCKED', `you cannot message ${recipient.name}: one of you blocked the other`);
    this.postDirect(session, recipient.name, { room: null, to: toKey, from: user.key, text: request.text, ts: Date.now(), ...nonceOf(request) }, done, failed);
  }

  /**
   * Stores a room message, then acks the sender and fans it out to the members who have not
   * blocked the sender (or been blocked): nobody sees a message that could still vanish.
   */
  private postToRoom(session: Session, message: NewMessage, done: (reply: Reply<'say'>) => void, failed: (error: unknown) => void): void {
    this.writer.write(message, {
      committed: (stored) => this.fanOut.committed(stored, session, () => done({ id: stored.id, ts: stored.ts })),
      failed,
      repeated: (stored) => done({ id: stored.id, ts: stored.ts }),
    });
  }

  /**
   * Stores a direct message, then acks the sender and delivers it to every session of the
   * recipient, and to the sender's other sessions (her own message, sent from elsewhere).
   */
  private postDirect(session: Session, toName: string, message: NewMessage, done: (reply: Reply<'dm'>) => void, failed: (error: unknown) => void): void {
    this.writer.write(message, {
      committed: (stored) => this.fanOut.committed(stored, session, () => done({ id: stored.id, ts: stored.ts, to: toName })),
      failed,
      repeated: (stored) => done({ id: stored.id, ts: stored.ts, to: toName }),
    });
  }

  async history(session: Session, request: Request<'history'>): Promise<Reply<'history'>> {
    const user = session.requireUser();
    const limit = Math.min(request.limit ?? this.settings.historyLimit, 500);
    const maxBytes = this.settings.historyPageBytes;
    if (request.room !== undefined) {
      const room = this.rooms.of(session, request.room);
      return this.reader.roomPage(room.record.key, user.key, { before: request.before, after: request.after, limit, maxBytes });
    }
    if (request.with !== undefined) {
      return this.reader.conversationPage(user.key, foldName(request.with), { before: request.before, after: request.after, limit, maxBytes });
    }
    return this.reader.directPage(user.key, { before: request.before, after: request.after, limit, maxBytes });
  }

  // --- end-to-end: sealed messages and the keys to seal them to ------------------------------
  // The server never sees the plaintext: it checks who may send where (membership, blocks) and
  // stores and relays the envelope as it came. Receiving clients verify everything else.

  saySealed(session: Session, request: Request<'e2e_say'>, done: (reply: Reply<'e2e_say'>) => void, failed: (error: unknown) => void): void {
    const user = session.requireUser();
    const room = this.rooms.of(session, request.room);
    const roomKey = room.record.key;
    // Only a secret room takes sealed messages (elsewhere `say` is the way), sized for its members.
    if (!this.rooms.isSecret(roomKey)) throw new ParlorError('BAD_REQUEST', `#${room.record.name} is not secret: send plain messages there`);
    checkSealedSize(request.sealed, room.members.size, this.settings.maxMessageBytes, `to #${room.record.name} (${room.members.size} members)`);
    this.postToRoom(session, { room: roomKey, to: null, from: user.key, text: '', ts: Date.now(), sealed: request.sealed, ...nonceOf(request) }, done, failed);
  }

  dmSealed(session: Session, request: Request<'e2e_dm'>, done: (reply: Reply<'e2e_dm'>) => void, failed: (error: unknown) => void): void {
    const user = session.requireUser();
    const toKey = foldName(request.to);
    const recipient = this.store.getUser(toKey);
    // No key, no one to seal to: as far as end-to-end goes, the name does not exist.
    if (!recipient || !this.keys.ofUser(recipient)) throw new ParlorError('USER_NOT_FOUND', `the server has no key for "${request.to}"`);
    if (this.blocks.between(user.key, toKey)) throw new ParlorError('BLOCKED', `you cannot message ${recipient.name}: one of you blocked the other`);
    // Sealed to the recipient's key and the sender's own.
    checkSealedSize(request.sealed, 2, this.settings.maxMessageBytes, 'to one user');
    this.postDirect(session, recipient.name, { room: null, to: toKey, from: user.key, text: '', ts: Date.now(), sealed: request.sealed, ...nonceOf(request) }, done, failed);
  }

  // --- for file transfers (transfers.ts) ----------------------------------------------------

  /** The live sessions of a user to send a file to; the same checks and codes as a `dm`. */
  transferRecipient(session: Session, to: string): Session[] {
    const user = session.requireUser();
    const key = foldName(to);
    const recipient = this.store.getUser(key);
    if (!recipient) throw new ParlorError('USER_NOT_FOUND', `no one called "${to}" has ever been here`);
    if (key === user.key) throw new ParlorError('BAD_REQUEST', 'you cannot send a file to yourself');
    if (this.blocks.between(user.key, key)) throw new ParlorError('BLOCKED', `you cannot send ${recipient.name} a file: one of you blocked the other`);
    const live = [...this.online.sessionsOf(key)];
    // Files are relayed by one server, never through the database (docs/architecture.md).
    const elsewhere = live.length === 0 ? this.cluster?.elsewhere(key)[0] : undefined;
    if (elsewhere) {
      throw new ParlorError('TRANSFER_OTHER_SERVER', `${recipient.name} is on server ${elsewhere.server}; files go only between people on the same server: connect to ${elsewhere.server} to send it`);
    }
    if (live.length === 0) throw new ParlorError('USER_OFFLINE', `${recipient.name} is not online`);
    return live;
  }

  /** A room's display name and the members who may receive a file from this session (not blocked). */
  transferRoom(session: Session, room: string): { name: string; members: Session[]; secret: boolean } {
    const user = session.requireUser();
    const live = this.rooms.of(session, room);
    // Every session of the other members (each person answers once: transfers.ts); none of the sender's own.
    const members = [...live.members].filter((m) => m.user !== undefined && m.user.key !== user.key && !this.blocks.between(m.user.key, user.key));
    return { name: live.record.name, members, secret: this.rooms.isSecret(live.record.key) };
  }

  // --- helpers -------------------------------------------------------------------------------

  /**
   * With a shared store, for a session that receives live messages from now on: the first id that
   * comes live rather than in its history page (the feed may be behind the table, and a message
   * must not reach it twice). Undefined for a store that delivers at its commit.
   */
  private liveFrom(): number | undefined {
    const delivered = this.store.feed?.lastDelivered();
    return delivered === undefined ? undefined : delivered + 1;
  }

  /** Into the room (if not in yet), with its history since `since` or its recent history. */
  private async enter(session: Session, key: string, since: number | undefined): Promise<Reply<'join'>> {
    const room = this.rooms.enter(session, key);
    this.cluster?.localChanged(session.user!.key);
    const members = peopleIn(room).map((member) => member.user!.name);
    const keys = this.rooms.isSecret(key)
      ? [...peopleIn(room).map((member) => KeyDirectory.ofClient(member.user!.name, member.client)), ...(this.cluster?.remoteKeysIn(room) ?? [])]
      : undefined;
    // The members and a secret room's keys come out of the same page budget as the history, so
    // that a big room's join reply stays within what one page may be.
    const roster = Buffer.byteLength(JSON.stringify(members)) + (keys ? Buffer.byteLength(JSON.stringify(keys)) : 0);
    const maxBytes = Math.max(0, this.settings.historyPageBytes - roster);
    const page = await this.reader.roomPage(key, session.user!.key, { after: since, before: this.liveFrom(), limit: this.settings.historyLimit, maxBytes });
    return {
      room: room.record.name,
      members,
      history: page.messages,
      more: page.more,
      hasPassword: room.record.passwordHash !== null,
      ...(keys && { secret: true, keys }),
    };
  }

  private checkLength(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > this.settings.maxMessageBytes) {
      throw new ParlorError('MESSAGE_TOO_LONG', `a message is at most ${this.settings.maxMessageBytes} bytes; this one is ${bytes}`);
    }
  }
}

/** A session's own name for itself, given at login: a reconnect names it to replace it (`resume`). */
function newSessionToken(): string {
  return randomBytes(16).toString('base64url');
}

/** The sender's nonce, when the request has one (MessageWriter: a retry is stored once). */
function nonceOf(request: { nonce?: string | undefined }): { nonce?: string } {
  return request.nonce === undefined ? {} : { nonce: request.nonce };
}

/** A secret room is end-to-end; an SSH visitor's words pass through the server in clear. */
function refuseIfOverSsh(session: Session, room: string): void {
  if (session.via !== 'ssh') return;
  throw new ParlorError(
    'E2E_REQUIRED',
    `#${room.replace(/^#/, '')} is secret (end-to-end): you are connected over ssh, so the server reads everything you say and receive; join it from a parlor client`,
  );
}
