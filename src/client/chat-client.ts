// The chat on top of ParlorClient: log in, rooms, messages, people, blocks, as typed calls and
// events. It also survives the server going away: it reconnects with backoff (pinned to the key it
// first saw, so a reconnect cannot land on an impostor), logs in again, rejoins its rooms and
// fetches what it missed since the last message it saw, which it delivers as ordinary events.

import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { ParlorError, type ErrorCode } from '../protocol/errors.ts';
import { foldName } from '../protocol/names.ts';
import { replySchemas, type ChatMessage, type JoinedMessage, type LeftMessage, type Reply, type RequestType } from '../protocol/messages.ts';
import type { CloseInfo } from '../transport/secure-connection.ts';
import type { DecodedRecord } from '../protocol/records.ts';
import { isTransferEvent, type TransferEvent } from '../protocol/transfer-messages.ts';
import { ParlorClient, type ConnectInput } from './client.ts';

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
  message: [message: ChatMessage];
  joined: [notice: JoinedMessage];
  left: [notice: LeftMessage];
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
    // Attached before login is sent: a message in the same frame as the reply is not lost.
    this.attach(client);
  }

  /** Direct messages to and from this user from before this login, oldest first. */
  direct: ChatMessage[] = [];
  directMore = false;

  static async connect(options: ChatClientOptions): Promise<ChatClient> {
    const client = await ParlorClient.connect(options);
    const chat = new ChatClient(client, options);
    try {
      const login = await call(client, 'login', { name: options.name, password: options.password });
      chat.name = login.name;
      chat.direct = login.direct;
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

  async join(room: string, password?: string): Promise<Reply<'join'>> {
    const reply = await this.request('join', { room, ...(password !== undefined && { password }) });
    this.remember(reply, password);
    return reply;
  }

  async create(room: string, password?: string): Promise<Reply<'create'>> {
    const reply = await this.request('create', { room, ...(password !== undefined && { password }) });
    this.remember(reply, password);
    return reply;
  }

  async leave(room: string): Promise<Reply<'leave'>> {
    const reply = await this.request('leave', { room });
    this.rooms.delete(foldName(reply.room));
    return reply;
  }

  async say(room: string, text: string): Promise<Reply<'say'>> {
    const reply = await this.request('say', { room, text });
    const joined = this.rooms.get(foldName(room.replace(/^#/, '')));
    if (joined) joined.lastSeen = Math.max(joined.lastSeen, reply.id);
    return reply;
  }

  async dm(to: string, text: string): Promise<Reply<'dm'>> {
    const reply = await this.request('dm', { to, text });
    this.lastDirect = Math.max(this.lastDirect, reply.id);
    return reply;
  }

  history(query: { room?: string; with?: string; before?: number; limit?: number }): Promise<Reply<'history'>> {
    return this.request('history', query);
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
  }

  private attach(client: ParlorClient): void {
    this.attachEvents(client);
    this.watchClose(client);
  }

  /** While catching up after a reconnect, live messages wait here to be merged in id order. */
  private catchUp: ChatMessage[] | undefined;

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
          this.emit('message', event);
          break;
        case 'joined':
          this.emit('joined', event);
          break;
        case 'left':
          this.emit('left', event);
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
  sendRecord(record: Buffer, bulk = false): boolean {
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
          missed.push(...(await this.pageBack(client, { room: key }, joined.lastSeen, reply.history, reply.more)));
        }
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
    this.emit('message', message);
  }
}

/** A request on one connection, its reply checked against the reply schema of its type. */
async function call<T extends RequestType>(client: ParlorClient, type: T, fields: Record<string, unknown>): Promise<Reply<T>> {
  const data = await client.request(type, fields);
  const parsed = replySchemas[type].safeParse(data ?? {});
  if (!parsed.success) throw new ParlorError('BAD_MESSAGE', `the server's reply to ${type} is not what this client expects`);
  return parsed.data as Reply<T>;
}
