// The chat's semantics: who is online under which name, rooms and their members, messages to rooms
// and to users, history, presence and blocks. Sessions come in already authenticated by the
// transport; this module puts the chat's parts together and decides who may send what where. One
// identity may hold several sessions at once (presence.ts): each gets what its person should.
// Logging in and out (logins.ts), room requests (room-requests.ts), room membership and its
// notices (room-directory.ts), history pages (history-reader.ts), delivery (fan-out.ts), who is
// who (people.ts), operators (moderation.ts) and the chat's other servers (cluster.ts) are its parts.

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
import { Logins } from './logins.ts';
import { foldName } from './names.ts';
import { PasswordGuard, type GuessLimits } from './password-guard.ts';
import { PasswordHashing } from './password-hashing.ts';
import { RoomCreations, type RoomCreationLimits } from './room-creations.ts';
import { People } from './people.ts';
import { Presence } from './presence.ts';
import { RoomDirectory } from './room-directory.ts';
import { RoomRequests } from './room-requests.ts';
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
  readonly logins: Logins;
  /** create, join, leave, the list of rooms, a room's members. */
  readonly roomRequests: RoomRequests;
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
    const { online, rooms, reader, bans, guard, keys, lookAlikes, cluster } = this;
    this.logins = new Logins({ store, online, rooms, reader, bans, guard, keys, lookAlikes, cluster }, settings);
    const hashing = new PasswordHashing(settings.rooms.passwordHashConcurrency, settings.rooms.maxQueuedPasswordHashes);
    const creations = new RoomCreations(store, settings.rooms);
    this.roomRequests = new RoomRequests({ store, rooms, reader, guard, hashing, creations, lookAlikes, cluster }, settings);
  }

  /** People online in the chat, each once: here, and on the chat's other servers (a person on two counts once). */
  get onlineCount(): number {
    const elsewhere = this.cluster?.remotePeople();
    if (!elsewhere?.length) return this.online.peopleCount;
    const onlyThere = new Set(elsewhere.filter((person) => !this.online.isOnline(person.key)).map((person) => person.key));
    return this.online.peopleCount + onlyThere.size;
  }

  /** Writes what is accepted but not yet committed (at shutdown). */
  flush(): void {
    this.writer.flush();
  }

  /** At shutdown, before the sessions are closed: no joined or left notice goes out any more. */
  shutDown(): void {
    this.rooms.shutDown();
  }

  /** Resolves once everything accepted is committed (a shared store answers later). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /** Before any reply to this session: what its rooms were told before the request reaches it first. */
  beforeReply(session: Session): void {
    this.rooms.flushNoticesFor(session);
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

  private checkLength(text: string): void {
    const bytes = Buffer.byteLength(text);
    if (bytes > this.settings.maxMessageBytes) {
      throw new ParlorError('MESSAGE_TOO_LONG', `a message is at most ${this.settings.maxMessageBytes} bytes; this one is ${bytes}`);
    }
  }
}

/** The sender's nonce, when the request has one (MessageWriter: a retry is stored once). */
function nonceOf(request: { nonce?: string | undefined }): { nonce?: string } {
  return request.nonce === undefined ? {} : { nonce: request.nonce };
}
