// The chat on top of ParlorClient: log in, rooms, messages, people, blocks, as typed calls and
// events. It also survives the server going away: it reconnects with backoff (pinned to the key it
// first saw, so a reconnect cannot land on an impostor), logs in again, rejoins its rooms and
// fetches what it missed since the last message it saw, which it delivers as ordinary events.

import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { COMMAND_AS_CHAT, isCommandLine } from '../protocol/command-line.ts';
import { ParlorError, type ErrorCode } from '../protocol/errors.ts';
import { foldName } from '../protocol/names.ts';
import {
  replySchemas,
  type AnnouncementMessage,
  type ChatMessage,
  type JoinedMessage,
  type LeftMessage,
  type Reply,
  type RequestType,
} from '../protocol/messages.ts';
import type { CloseInfo } from '../transport/secure-connection.ts';
import type { DecodedRecord } from '../protocol/records.ts';
import { isTransferEvent, type TransferEvent } from '../protocol/transfer-messages.ts';
import { ParlorClient, type ConnectInput } from './client.ts';
import { defaultConfigDir } from '../options.ts';
import type { DeliveredMessage, OpenedFile, SealedFile } from './e2e.ts';
import { PeerKeys, type PeerKeyChange } from './peer-keys.ts';
import { SealedChat, type WhoisResult } from './sealed-chat.ts';

export type { WhoisResult };

/** A join (or create) reply with sealed messages opened, and how many were not sealed to this client. */
export type OpenedJoin = Omit<Reply<'join'>, 'history'> & {
  history: DeliveredMessage[];
  /** Secret messages from before this client joined: genuine, but not sealed to it (so unreadable). */
  notSealedToYou: number;
};
/** A history reply, opened likewise. */
export type OpenedHistory = Omit<Reply<'history'>, 'messages'> & { messages: DeliveredMessage[]; notSealedToYou: number };

export interface ChatClientOptions extends ConnectInput {
  name: string;
  password: string;
  /** Reconnect after the connection drops (default true). */
  reconnect?: boolean;
  /** The first delay between reconnect attempts; it doubles up to maxReconnectDelayMs. */
  reconnectDelayMs?: number;
  maxReconnectDelayMs?: number;
}

interface ChatEvents {
  /** Sealed messages arrive opened, with their `e2e` status (rejected ones with their code). */
  message: [message: DeliveredMessage];
  /** Loud: a peer's key is not the one in known_peers. Nothing is sealed to it or believed from it until acceptPeerKey. */
  peerKeyChanged: [change: PeerKeyChange];
  joined: [notice: JoinedMessage];
  left: [notice: LeftMessage];
  /** An operator's notice to everyone online. */
  announcement: [notice: AnnouncementMessage];
  /** The connection dropped; a reconnect follows unless the reason is final. */
  disconnected: [info: CloseInfo];
  reconnecting: [attempt: { attempt: number; delayMs: number }];
  reconnected: [];
  /** For good: closed by the user, or for a reason that reconnecting cannot fix. */
  closed: [info: CloseInfo];
  // File transfer: what FileTransfers (transfers.ts) listens to.
  transferEvent: [event: TransferEvent];
  transferRecord: [record: DecodedRecord];
}

/** Reasons that another attempt would only repeat. */
const FINAL_CODES: ReadonlySet<ErrorCode> = new Set([
  'SERVER_KEY_CHANGED',
  'FINGERPRINT_MISMATCH',
  'BAD_SIGNATURE',
  'UNSUPPORTED_VERSION',
  'BAD_PASSWORD',
  'NAME_INVALID',
  'NAME_TAKEN',
  'NAME_RESERVED',
  'SESSION_REPLACED',
  'RATE_LIMITED',
  'KICKED',
  'BANNED',
]);

interface JoinedRoom {
  password: string | undefined;
  /** The newest message id seen in the room: a rejoin asks for what came after it. */
  lastSeen: number;
}

export class ChatClient extends EventEmitter<ChatEvents> {
  private client: ParlorClient;
  private readonly rooms = new Map<string, JoinedRoom>();
  private lastDirect = 0;
  /** Kept while operator, so that a reconnect comes back as operator too. */
  private operatorPassword: string | undefined;
  private closedByUser = false;
  private final: CloseInfo | undefined;
  /** The name the server confirmed (its display form). */
  name: string;

  private constructor(
    client: ParlorClient,
    private readonly options: ChatClientOptions,
  ) {
    super();
    this.client = client;
    this.name = options.name;
    const peers = new PeerKeys(options.configDir ?? defaultConfigDir(), client.server.fingerprint, (change) => this.emit('peerKeyChanged', change));
    this.sealed = new SealedChat(options.identity, peers, {
      name: () => this.name,
      fingerprint: () => this.client.fingerprint,
      request: (type, fields) => this.request(type, fields),
    });
    // Attached before login is sent: a message in the same frame as the reply is not lost.
    this.attach(client);
  }

  /** Direct messages to and from this user from before this login, oldest first (sealed ones opened). */
  direct: DeliveredMessage[] = [];
  directMore = false;

  static async connect(options: ChatClientOptions): Promise<ChatClient> {
    const client = await ParlorClient.connect(options);
    const chat = new ChatClient(client, options);
    try {
      const login = await call(client, 'login', { name: options.name, password: options.password });
      chat.name = login.name;
      chat.direct = login.direct.map((message) => chat.sealed.open(message));
      chat.directMore = login.directMore;
      for (const message of login.direct) chat.lastDirect = Math.max(chat.lastDirect, message.id);
      return chat;
    } catch (error) {
      chat.closedByUser = true;
      client.close();
      throw error;
    }
  }

  get server(): ParlorClient['server'] {
    return this.client.server;
  }

  get connected(): boolean {
    return this.client.isOpen;
  }

  async join(room: string, password?: string): Promise<OpenedJoin> {
    const reply = await this.request('join', { room, ...(password !== undefined && { password }) });
    this.remember(reply, password);
    return this.openRoomPage(reply);
  }

  /** Creates a room; `secret` makes it end-to-end (plaintext `say` is then refused by the server). */
  async create(room: string, password?: string, options: { secret?: boolean } = {}): Promise<OpenedJoin> {
    const reply = await this.request('create', { room, ...(password !== undefined && { password }), ...(options.secret === true && { secret: true }) });
    this.remember(reply, password);
    return this.openRoomPage(reply);
  }

  async leave(room: string): Promise<Reply<'leave'>> {
    const reply = await this.request('leave', { room });
    this.rooms.delete(foldName(reply.room));
    return reply;
  }

  /** Says something in a room; in a secret room it is sealed to every member first. */
  async say(room: string, text: string): Promise<Reply<'say'>> {
    refuseCommandAsChat(text);
    const reply = this.sealed.isSecretRoom(room) ? await this.sealed.say(room, text) : await this.request('say', { room, text });
    const joined = this.rooms.get(foldName(room.replace(/^#/, '')));
    if (joined) joined.lastSeen = Math.max(joined.lastSeen, reply.id);
    return reply;
  }

  /** A direct message, end-to-end unless `plaintext` is asked for. */
  async dm(to: string, text: string, options: { plaintext?: boolean } = {}): Promise<Reply<'dm'>> {
    refuseCommandAsChat(text);
    const reply = options.plaintext !== true ? await this.sealed.dm(to, text) : await this.request('dm', { to, text });
    this.lastDirect = Math.max(this.lastDirect, reply.id);
    return reply;
  }

  async history(query: { room?: string; with?: string; before?: number; limit?: number }): Promise<OpenedHistory> {
    const reply = await this.request('history', query);
    const messages = reply.messages.map((message) => this.sealed.open(message));
    return { ...reply, messages, notSealedToYou: countNotSealed(messages) };
  }

  listRooms(): Promise<Reply<'rooms'>> {
    return this.request('rooms', {});
  }

  members(room: string): Promise<Reply<'members'>> {
    return this.request('members', { room });
  }

  users(): Promise<Reply<'users'>> {
    return this.request('users', {});
  }

  allUsers(): Promise<Reply<'allusers'>> {
    return this.request('allusers', {});
  }

  whoami(): Promise<Reply<'whoami'>> {
    return this.request('whoami', {});
  }

  block(name: string): Promise<Reply<'block'>> {
    return this.request('block', { name });
  }

  unblock(name: string): Promise<Reply<'unblock'>> {
    return this.request('unblock', { name });
  }

  blocked(): Promise<Reply<'blocked'>> {
    return this.request('blocked', {});
  }

  /**
   * A bot command line (`!echo hi`): the reply is for this user alone. After `!exit` the server
   * closes the connection, and this client does not reconnect.
   */
  async command(text: string, room?: string): Promise<Reply<'command'>> {
    const reply = await this.request('command', { text, ...(room !== undefined && { room }) });
    if (reply.command === 'exit') this.closedByUser = true;
    return reply;
  }

  /** `/op PASSWORD`: operator commands for the rest of this session (and after reconnects). */
  async op(password: string): Promise<Reply<'op'>> {
    const reply = await this.request('op', { password });
    this.operatorPassword = password;
    return reply;
  }

  /** Any request by type, its reply parsed; for what has no method of its own. */
  request<T extends RequestType>(type: T, fields: Record<string, unknown>): Promise<Reply<T>> {
    if (this.final) return Promise.reject(this.final.reason);
    return call(this.client, type, fields);
  }

  close(): void {
    this.closedByUser = true;
    this.client.close();
  }

  private remember(reply: Reply<'join'>, password: string | undefined): void {
    const key = foldName(reply.room);
    const lastSeen = Math.max(this.rooms.get(key)?.lastSeen ?? 0, ...reply.history.map((m) => m.id));
    this.rooms.set(key, { password, lastSeen });
    this.sealed.noteRoomKeys(reply);
  }

  // --- end-to-end (issue 9): SealedChat (sealed-chat.ts) ---------------------------------------
  private readonly sealed: SealedChat;

  /** Whether a room this client is in is secret (end-to-end). */
  isSecretRoom(room: string): boolean {
    return this.sealed.isSecretRoom(room);
  }

  /** A user's key and fingerprint as the server has it, and whether it matches known_peers. */
  whois(name: string): Promise<WhoisResult> {
    return this.sealed.whois(name);
  }

  /** After comparing fingerprints: trust the key this name now presents (or the one given). */
  acceptPeerKey(name: string, fingerprint?: string): boolean {
    return this.sealed.acceptPeerKey(name, fingerprint);
  }

  /** The path of this client's known_peers file. */
  get knownPeersPath(): string {
    return this.sealed.knownPeersPath;
  }

  /**
   * Seals a file offer's metadata for a user or a secret room (to the members' keys as this client
   * knows them), as a DM or a secret message is sealed; E2E_PEER_KEY_CHANGED for a changed key.
   */
  sealFileOffer(target: { to: string } | { room: string }, metadata: Buffer): Promise<SealedFile> {
    return this.sealed.sealFileOffer(target, metadata);
  }

  /** Opens a sealed file offer with every check a sealed message gets; throws its E2E_ code. */
  openFileOffer(offer: { from: string; room?: string | undefined; to?: string | undefined; sealed: string }): OpenedFile {
    return this.sealed.openFileOffer(offer);
  }

  private openRoomPage(reply: Reply<'join'>): OpenedJoin {
    const history = reply.history.map((message) => this.sealed.open(message));
    return { ...reply, history, notSealedToYou: countNotSealed(history) };
  }

  private attach(client: ParlorClient): void {
    this.attachEvents(client);
    this.watchClose(client);
  }

  /** While catching up after a reconnect, live messages wait here to be merged in id order. */
  private catchUp: DeliveredMessage[] | undefined;

  private attachEvents(client: ParlorClient): void {
    this.attachTransfers(client);
    client.on('event', (event) => {
      switch (event.type) {
        case 'message':
          if (this.catchUp) {
            this.catchUp.push(event);
            break;
          }
          this.noteSeen(event);
          this.emit('message', this.sealed.open(event));
          break;
        case 'joined':
          this.sealed.onRoomPresence(event);
          this.emit('joined', event);
          break;
        case 'left':
          this.sealed.onRoomPresence(event);
          this.emit('left', event);
          break;
        case 'announcement':
          this.emit('announcement', event);
          break;
        default:
          break;
      }
    });
  }

  // --- file transfer ---------------------------------------------------------------------------

  private attachTransfers(client: ParlorClient): void {
    client.on('event', (event) => {
      if (isTransferEvent(event)) this.emit('transferEvent', event);
    });
    client.on('record', (record) => this.emit('transferRecord', record));
  }

  /** Queues a binary record on the current connection (bulk: behind chat); false when there is none. */
  sendRecord(record: Buffer | readonly Buffer[], bulk = false): boolean {
    return this.client.sendRecord(record, bulk);
  }

  private watchClose(client: ParlorClient): void {
    client.once('close', (info) => this.onDisconnect(info));
  }

  private noteSeen(message: ChatMessage): void {
    if (message.room !== undefined) {
      const joined = this.rooms.get(foldName(message.room));
      if (joined) joined.lastSeen = Math.max(joined.lastSeen, message.id);
    } else {
      this.lastDirect = Math.max(this.lastDirect, message.id);
    }
  }

  private onDisconnect(info: CloseInfo): void {
    if (this.closedByUser || this.options.reconnect === false || FINAL_CODES.has(info.reason.code)) {
      this.final = info;
      this.emit('closed', info);
      return;
    }
    this.emit('disconnected', info);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const first = this.options.reconnectDelayMs ?? 250;
    const max = this.options.maxReconnectDelayMs ?? 15_000;
    const pinned = this.client.server.fingerprint;
    for (let attempt = 1; !this.closedByUser; attempt++) {
      // Jittered, so that clients dropped together do not all come back at the same instant.
      const delayMs = Math.round(Math.min(max, first * 2 ** (attempt - 1)) * (randomInt(800, 1201) / 1000));
      this.emit('reconnecting', { attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.closedByUser) break;
      let client: ParlorClient | undefined;
      try {
        client = await ParlorClient.connect({ ...this.options, fingerprint: pinned });
        // Everything missed is gathered first, then delivered in id order, each message once;
        // live messages that arrive meanwhile (from the login on) are merged in.
        this.catchUp = [];
        this.attachEvents(client);
        const login = await call(client, 'login', { name: this.options.name, password: this.options.password, directSince: this.lastDirect });
        this.client = client;
        this.name = login.name;
        const missed = await this.pageBack(client, {}, this.lastDirect, login.direct, login.directMore);
        for (const [key, joined] of [...this.rooms]) {
          const reply = await call(client, 'join', {
            room: key,
            since: joined.lastSeen,
            ...(joined.password !== undefined && { password: joined.password }),
          });
          this.sealed.noteRoomKeys(reply);
          missed.push(...(await this.pageBack(client, { room: key }, joined.lastSeen, reply.history, reply.more)));
        }
        if (this.operatorPassword !== undefined) await call(client, 'op', { password: this.operatorPassword });
        missed.push(...this.catchUp);
        this.catchUp = undefined;
        for (const message of missed.sort((a, b) => a.id - b.id)) this.deliverMissed(message);
        if (!client.isOpen) throw new ParlorError('CONNECTION_CLOSED', 'the connection closed while catching up');
        this.watchClose(client);
        this.emit('reconnected');
        return;
      } catch (error) {
        this.catchUp = undefined;
        client?.removeAllListeners('event');
        client?.close();
        if (error instanceof ParlorError && FINAL_CODES.has(error.code)) {
          this.final = { reason: error, remote: true };
          this.emit('closed', this.final);
          return;
        }
      }
    }
    this.final = { reason: new ParlorError('CONNECTION_CLOSED', 'closed while reconnecting'), remote: false };
    this.emit('closed', this.final);
  }

  /**
   * A rejoin answers with the newest page of what came after `since`; while it says there is more,
   * this pages back (history with before and after) until it meets what was already seen.
   */
  private async pageBack(client: ParlorClient, where: { room?: string }, since: number, page: ChatMessage[], more: boolean): Promise<ChatMessage[]> {
    const gathered = [...page];
    for (let pages = 0; more && gathered.length > 0 && pages < 1000; pages++) {
      const oldest = Math.min(...gathered.map((m) => m.id));
      const older = await call(client, 'history', { ...where, before: oldest, after: since, limit: 500 });
      gathered.push(...older.messages);
      more = older.more && older.messages.length > 0;
    }
    return gathered;
  }

  private deliverMissed(message: ChatMessage): void {
    const seen = message.room !== undefined ? this.rooms.get(foldName(message.room))?.lastSeen ?? 0 : this.lastDirect;
    if (message.id <= seen) return;
    this.noteSeen(message);
    this.emit('message', this.sealed.open(message));
  }
}

function countNotSealed(messages: readonly DeliveredMessage[]): number {
  return messages.filter((message) => message.e2e?.state === 'not-sealed-to-you').length;
}

/**
 * A bot command is never sent as chat: the server refuses one in plaintext, but a sealed line it
 * cannot read, so the client checks before sealing (the original ChatRoom's rule).
 */
function refuseCommandAsChat(text: string): void {
  if (isCommandLine(text)) throw new ParlorError('BAD_REQUEST', COMMAND_AS_CHAT);
}

/** A request on one connection, its reply checked against the reply schema of its type. */
async function call<T extends RequestType>(client: ParlorClient, type: T, fields: Record<string, unknown>): Promise<Reply<T>> {
  const data = await client.request(type, fields);
  const parsed = replySchemas[type].safeParse(data ?? {});
  if (!parsed.success) throw new ParlorError('BAD_MESSAGE', `the server's reply to ${type} is not what this client expects`);
  return parsed.data as Reply<T>;
}
