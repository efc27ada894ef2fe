// How ChatClient survives the server going away: it reconnects with backoff (pinned to the key it
// first saw, so a reconnect cannot land on an impostor), logs in again, rejoins its rooms and
// fetches what it missed since the last message it saw, which it delivers as ordinary events.
// For that a Reconnection remembers, while all is well, the rooms joined (with their passwords)
// and the newest message seen in each and in the direct messages; ChatClient owns one and tells
// it what it joins, leaves, sends and receives. Requests go through it too (request()), so that
// one made while it reconnects waits, and one whose reply a drop swallowed goes again when it can.

import { randomInt } from 'node:crypto';
import { DEFAULT_MAX_BUSY_RECONNECT_DELAY_MS, DEFAULT_MAX_RECONNECT_DELAY_MS, DEFAULT_RECONNECT_DELAY_MS, formatAddress, parseServerAddress, type ClientOptions } from '../options.ts';
import { ParlorError, type ErrorCode } from '../protocol/errors.ts';
import type { ChatMessage, Reply, RequestType } from '../protocol/messages.ts';
import { foldName } from '../protocol/names.ts';
import type { CloseInfo } from '../transport/secure-connection.ts';
import type { EventEmitter } from 'node:events';
import type { ChatClientOptions, ChatEvents } from './chat-client-types.ts';
import { checkedRequest } from './checked-request.ts';
import { ParlorClient } from './client.ts';
import type { DeliveredMessage } from './e2e/e2e.ts';

/** Reasons that another attempt would only repeat. */
const FINAL_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'SERVER_KEY_CHANGED',
  'FINGERPRINT_MISMATCH',
  'BAD_SIGNATURE',
  'UNSUPPORTED_VERSION',
  'NOT_PARLOR',
  'BAD_PASSWORD',
  'PASSWORD_REQUIRED',
  'NAME_INVALID',
  'NAME_TAKEN',
  'NAME_RESERVED',
  'SESSION_REPLACED',
  'TOO_MANY_SESSIONS',
  'RATE_LIMITED',
  'KICKED',
  'BANNED',
]);

/** How many times a request is sent when connections keep dropping before its reply. */
const MAX_SENDS = 4;
/** Requests that change nothing on the server: asked again as they are after a drop. */
const READ_ONLY: ReadonlySet<RequestType> = new Set(['ping', 'rooms', 'members', 'history', 'users', 'allusers', 'whoami', 'blocked', 'keys', 'whois']);

interface JoinedRoom {
  password: string | undefined;
  /** The newest message id seen in the room: a rejoin asks for what came after it. */
  lastSeen: number;
}

/** What a Reconnection needs of the ChatClient that owns it. */
export interface ReconnectingChat {
  /** The connection in use: the dropped one, until a new one has logged in. */
  connection(): ParlorClient;
  /** Listens to a new connection's events; called before its login is sent. */
  listen(client: ParlorClient): void;
  /** A new connection has logged in, as `name`: it replaces the dropped one. */
  replace(client: ParlorClient, name: string): void;
  /** A room rejoined, as its reply arrives: its members, and a secret room's keys. */
  rejoined(reply: Reply<'join'>): void;
  /** A message missed while away, delivered as a live one is. */
  deliver(message: ChatMessage): void;
  emit: EventEmitter<ChatEvents>['emit'];
}

export class Reconnection {
  private readonly rooms = new Map<string, JoinedRoom>();
  private lastDirect = 0;
  /** The ids of the messages delivered last (live or caught up), to deliver none of them twice. */
  private readonly recent = new RecentIds(RECENT_IDS);
  /** While catching up after a reconnect, live messages wait here to be merged in id order. */
  private catchUp: DeliveredMessage[] | undefined;
  /** The server's token for this session: a reconnect names it, so a session that has not died yet is replaced. */
  session: string | undefined;
  /** Kept while operator, so that a reconnect comes back as operator too. */
  operatorPassword: string | undefined;
  /** Closed by the user (close, `!exit`, a first login that failed): nothing reconnects. */
  closedByUser = false;
  /** How the connection ended for good; requests fail with its reason from then on. */
  final: CloseInfo | undefined;

  /**
   * The addresses (HOST:PORT) whose binding to the pinned key this client has put in known_servers:
   * the first connection's, and each other server of the chat once a reconnect reached it. A
   * reconnect to one of them does not read the file again (ParlorClient.connectChecked).
   */
  private readonly remembered: Set<string>;

  /** Requests made while reconnecting, waiting for the connection to be back (whenBack). */
  private readonly waiting = new Set<{ back: () => void; never: (reason: ParlorError) => void }>();

  constructor(
    private readonly options: ChatClientOptions,
    /**
     * The connect options as the first connection checked them (clientOptionsSchema): a reconnect
     * changes only the address, from the welcome's HOST:PORT (parseServerAddress checks it), and
     * the fingerprint, pinned from a handshake, so it need not check them again (zod, per attempt).
     */
    private readonly connectOptions: ClientOptions,
    private readonly chat: ReconnectingChat,
  ) {
    this.remembered = new Set([formatAddress(connectOptions.host, connectOptions.port)]);
  }

  /**
   * A request on the connection in use, across reconnects: made while reconnecting, it waits for
   * the new connection (whenBack); sent when the connection then drops before its reply, it goes
   * again if that cannot do harm: a message with its nonce (the server stores it once and answers
   * a repeat with the first one's id) or a request that changes nothing.
   */
  request<T extends RequestType>(type: T, fields: Record<string, unknown>, onReply: ((reply: Reply<T>) => void) | undefined, attempt = 1): Promise<Reply<T>> {
    if (this.final) return Promise.reject(this.final.reason);
    const client = this.chat.connection();
    if (!client.isOpen) return this.whenBack(client.requestTimeoutMs).then(() => this.request(type, fields, onReply, attempt));
    const sent = checkedRequest(client, type, fields, onReply);
    if (fields.nonce === undefined && !READ_ONLY.has(type)) return sent;
    return sent.catch((error: unknown) => {
      if (error !== client.closeReason || attempt >= MAX_SENDS) throw error;
      return this.request(type, fields, onReply, attempt + 1);
    });
  }

  /**
   * Resolves once a dropped connection is back (logged in, rooms rejoined, what was missed
   * delivered); rejects with the final reason if it will not be, or with TIMEOUT after `timeoutMs`.
   */
  whenBack(timeoutMs: number): Promise<void> {
    if (this.final) return Promise.reject(this.final.reason);
    return new Promise((resolve, reject) => {
      const waiter = {
        back: () => settle(),
        never: (reason: ParlorError) => settle(reason),
      };
      const settle = (reason?: ParlorError) => {
        clearTimeout(timer);
        this.waiting.delete(waiter);
        if (reason) reject(reason);
        else resolve();
      };
      const timer = setTimeout(() => settle(new ParlorError('TIMEOUT', `not reconnected within ${timeoutMs / 1000} s, so not sent`)), timeoutMs);
      this.waiting.add(waiter);
    });
  }

  /** A room joined (or created): what a rejoin needs, and the newest message its history showed. */
  joined(reply: Reply<'join'>, password: string | undefined): void {
    const key = foldName(reply.room);
    const lastSeen = Math.max(this.rooms.get(key)?.lastSeen ?? 0, ...reply.history.map((m) => m.id));
    this.rooms.set(key, { password, lastSeen });
    for (const message of reply.history) this.recent.add(message.id);
  }

  left(room: string): void {
    this.rooms.delete(foldName(room));
  }

  /** This client's own message in a room (named as `say` takes it, `#` or not) has this id. */
  seenInRoom(room: string, id: number): void {
    const joined = this.rooms.get(foldName(room.replace(/^#/, '')));
    if (joined) joined.lastSeen = Math.max(joined.lastSeen, id);
  }

  /** A direct message with this id was seen (at login) or sent. */
  seenDirect(id: number): void {
    this.lastDirect = Math.max(this.lastDirect, id);
  }

  /**
   * A live message: true if it is to be delivered now (it is noted as seen), false while
   * catching up after a reconnect, when it waits to be merged in id order with what was missed,
   * and false for one already delivered.
   */
  deliverNow(message: ChatMessage): boolean {
    if (this.catchUp) {
      this.catchUp.push(message);
      return false;
    }
    // The server a reconnect lands on (another server of the chat) may hand on live a message that
    // the catch-up already delivered: once is enough. By id, not by order: a lower id that comes
    // later is still new.
    if (this.recent.has(message.id)) return false;
    this.noteSeen(message);
    return true;
  }

  /** Reconnects when this connection closes, unless the reason is final. */
  watch(client: ParlorClient): void {
    client.once('close', (info) => this.onDisconnect(info));
  }

  private noteSeen(message: ChatMessage): void {
    if (message.room !== undefined) {
      const joined = this.rooms.get(foldName(message.room));
      if (joined) joined.lastSeen = Math.max(joined.lastSeen, message.id);
    } else {
      this.lastDirect = Math.max(this.lastDirect, message.id);
    }
    this.recent.add(message.id);
  }

  private onDisconnect(info: CloseInfo): void {
    if (this.closedByUser) {
      // A turn later: whoever closed on purpose (`!exit`, close()) has shown its own words by then.
      setImmediate(() => this.end(info));
      return;
    }
    if (this.options.reconnect === false || FINAL_CODES.has(info.reason.code)) {
      this.end(info);
      return;
    }
    this.chat.emit('disconnected', info);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const first = this.options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
    const max = this.options.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
    const maxBusy = this.options.maxBusyReconnectDelayMs ?? DEFAULT_MAX_BUSY_RECONNECT_DELAY_MS;
    const pinned = this.chat.connection().server.fingerprint;
    // A chat on several servers: the same server first, then the others the welcome named, in
    // turn. Each must present the pinned key (the chat's one identity): another key is refused.
    const addresses = [{ host: this.options.host, port: this.options.port }, ...(this.chat.connection().chat?.servers ?? []).flatMap(({ address }) => {
      try {
        return [parseServerAddress(address)];
      } catch {
        return [];
      }
    })];
    /** Attempts that found no server (or failed otherwise): the wait doubles with each, up to `max`. */
    let failures = 0;
    /**
     * Attempts in a row that the server refused at the door as busy: TOO_MANY_CONNECTIONS, or a
     * close during the handshake (too many others not logged in yet, as after its restart). It is
     * up and takes the next ones within moments, so these waits stop growing at `maxBusy`: doubled
     * like the others, five refusals left a client asleep for 8-15 s while the server sat idle
     * (the reconnect storm's last clients came back in waves at ~4, ~8, ~16 and ~31 s; most of its
     * refusals were bare closes, the server being busy telling 64 others already). The wider
     * jitter spreads those refused together over the wait instead of sending them back together.
     */
    let busy = 0;
    for (let attempt = 1; !this.closedByUser; attempt++) {
      const target = addresses[(attempt - 1) % addresses.length]!;
      // Jittered, so that clients dropped together do not all come back at the same instant.
      const delayMs =
        busy > 0
          ? Math.round(Math.min(maxBusy, first * 2 ** busy) * (randomInt(500, 1501) / 1000))
          : Math.round(Math.min(max, first * 2 ** failures) * (randomInt(800, 1201) / 1000));
      this.chat.emit('reconnecting', { attempt, delayMs });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (this.closedByUser) break;
      let client: ParlorClient | undefined;
      try {
        const address = formatAddress(target.host, target.port);
        client = await ParlorClient.connectChecked(
          { ...this.connectOptions, ...target, fingerprint: pinned },
          { identity: this.options.identity, dial: this.options.dial, remembered: this.remembered.has(address) },
        );
        this.remembered.add(address);
        // Everything missed is gathered first, then delivered in id order, each message once;
        // live messages that arrive meanwhile (from the login on) are merged in.
        this.catchUp = [];
        this.chat.listen(client);
        const login = await checkedRequest(client, 'login', {
          name: this.options.name,
          password: this.options.password,
          directSince: this.lastDirect,
          ...(this.session !== undefined && { resume: this.session }),
        });
        this.session = login.session;
        this.chat.replace(client, login.name);
        const missed = await this.pageBack(client, {}, this.lastDirect, login.direct, login.directMore);
        // The rooms are rejoined all at once, not one round trip after another: what each missed
        // is merged and put in id order below anyway.
        const rejoined = await Promise.all(
          [...this.rooms].map(async ([key, joined]) => {
            const reply = await checkedRequest(
              client!,
              'join',
              { room: key, since: joined.lastSeen, ...(joined.password !== undefined && { password: joined.password }) },
              (reply) => this.chat.rejoined(reply),
            );
            return this.pageBack(client!, { room: key }, joined.lastSeen, reply.history, reply.more);
          }),
        );
        for (const page of rejoined) missed.push(...page);
        if (this.operatorPassword !== undefined) await checkedRequest(client, 'op', { password: this.operatorPassword });
        missed.push(...this.catchUp);
        this.catchUp = undefined;
        for (const message of missed.sort((a, b) => a.id - b.id)) this.deliverMissed(message);
        if (!client.isOpen) throw new ParlorError('CONNECTION_CLOSED', 'the connection closed while catching up');
        this.watch(client);
        this.chat.emit('reconnected');
        for (const waiter of [...this.waiting]) waiter.back();
        return;
      } catch (error) {
        this.catchUp = undefined;
        client?.removeAllListeners('event');
        client?.close();
        // A request told to wait (the request budget belongs to the identity and outlives the
        // dropped connection) is tried again after the wait; a disconnection for flooding is final.
        const toldToWait = error instanceof ParlorError && error.code === 'RATE_LIMITED' && error.retryAfterMs !== undefined;
        // Refused at the door: told TOO_MANY_CONNECTIONS, or closed without a word during the
        // handshake, as a server busy telling many others so does (admission.ts).
        // Either way it is up: only a server that cannot be reached at all backs off for long.
        const refusedAtDoor = error instanceof ParlorError && (error.code === 'TOO_MANY_CONNECTIONS' || (error.code === 'CONNECTION_CLOSED' && client === undefined));
        if (refusedAtDoor) {
          busy++;
        } else {
          busy = 0;
          failures++;
        }
        if (error instanceof ParlorError && FINAL_CODES.has(error.code) && !toldToWait) {
          this.end({ reason: error, remote: true });
          return;
        }
        if (toldToWait) await new Promise((resolve) => setTimeout(resolve, (error as ParlorError).retryAfterMs));
      }
    }
    this.end({ reason: new ParlorError('CONNECTION_CLOSED', 'closed while reconnecting'), remote: false });
  }

  /** For good: requests fail with this reason from now on, those waiting too. */
  private end(info: CloseInfo): void {
    this.final = info;
    this.chat.emit('closed', info);
    for (const waiter of [...this.waiting]) waiter.never(info.reason);
  }

  /**
   * A rejoin answers with the newest page of what came after `since`; while it says there is more,
   * this pages back (history with before and after) until it meets what was already seen.
   */
  private async pageBack(client: ParlorClient, where: { room?: string }, since: number, page: ChatMessage[], more: boolean): Promise<ChatMessage[]> {
    const gathered = [...page];
    for (let pages = 0; more && gathered.length > 0 && pages < 1000; pages++) {
      const oldest = Math.min(...gathered.map((m) => m.id));
      const older = await checkedRequest(client, 'history', { ...where, before: oldest, after: since, limit: 500 });
      gathered.push(...older.messages);
      more = older.more && older.messages.length > 0;
    }
    return gathered;
  }

  private deliverMissed(message: ChatMessage): void {
    const seen = message.room !== undefined ? this.rooms.get(foldName(message.room))?.lastSeen ?? 0 : this.lastDirect;
    if (message.id <= seen) return;
    this.noteSeen(message);
    this.chat.deliver(message);
  }
}

/** How many delivered ids a client remembers: more than a reconnect's catch-up can overlap with live delivery. */
const RECENT_IDS = 1024;

/** The last `size` ids added, for a membership test. Message ids are unique across rooms and DMs. */
class RecentIds {
  private readonly ids = new Set<number>();
  private readonly order: number[] = [];

  constructor(private readonly size: number) {}

  has(id: number): boolean {
    return this.ids.has(id);
  }

  add(id: number): void {
    if (this.ids.has(id)) return;
    this.ids.add(id);
    this.order.push(id);
    if (this.order.length > this.size) this.ids.delete(this.order.shift()!);
  }
}
