// The chat on top of ParlorClient: log in, rooms, messages, people, blocks, as typed calls and
// events. It also survives the server going away: it reconnects with backoff (pinned to the key it
// first saw, so a reconnect cannot land on an impostor), logs in again, rejoins its rooms and
// fetches what it missed since the last message it saw, which it delivers as ordinary events
// (Reconnection, reconnect.ts). The end-to-end part is SealedChat's (e2e/sealed-chat.ts).

import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { COMMAND_AS_CHAT, isCommandLine, unescapeChatLine } from '../protocol/command-line.ts';
import { ParlorError } from '../protocol/errors.ts';
import type { Reply, RequestType } from '../protocol/messages.ts';
import { isTransferEvent } from '../protocol/transfer-messages.ts';
import { ParlorClient } from './client.ts';
import type { ChatClientOptions, ChatEvents } from './chat-client-types.ts';
import { clientOptionsSchema, defaultConfigDir, parseOptions, type ClientOptions } from '../options.ts';
import type { DeliveredMessage, OpenedFile, SealedFile } from './e2e/e2e.ts';
import { PeerKeys } from './e2e/peer-keys.ts';
import { checkedRequest } from './checked-request.ts';
import { messageNonce } from './message-nonce.ts';
import { RoomMembers } from './room-members.ts';
import { ReturningMembers } from './returning-members.ts';
import { SEEN_ENVELOPES_FILE, SeenEnvelopes } from './e2e/seen-envelopes.ts';
import { Reconnection } from './reconnect.ts';
import { SealedChat, type OpenedHistory, type OpenedJoin, type SentDirect, type WhoisResult } from './e2e/sealed-chat.ts';

export type { OpenedHistory, OpenedJoin, WhoisResult };
export type { ChatClientOptions } from './chat-client-types.ts';

export class ChatClient extends EventEmitter<ChatEvents> {
  private client: ParlorClient;
  private readonly reconnection: Reconnection;
  /** Rooms' members in the order the server told them (room-members.ts). */
  private readonly roomMembers = new RoomMembers();
  /** Who was in each room when the connection last dropped: their joins soon after are comebacks. */
  private readonly returning = new ReturningMembers();
  /** The name the server confirmed (its display form). */
  name: string;
  private readonly endToEnd: boolean;

  private constructor(client: ParlorClient, options: ChatClientOptions, connectOptions: ClientOptions) {
    super();
    this.client = client;
    this.name = options.name;
    this.endToEnd = options.endToEnd !== false;
    const configDir = options.configDir ?? defaultConfigDir();
    const peers = new PeerKeys(configDir, client.server.fingerprint, (change) => this.emit('peerKeyChanged', change));
    const seen = new SeenEnvelopes(join(configDir, SEEN_ENVELOPES_FILE), client.server.fingerprint);
    this.sealed = new SealedChat(
      options.identity,
      peers,
      {
        name: () => this.name,
        fingerprint: () => this.client.fingerprint,
        request: (type, fields) => this.request(type, fields),
      },
      seen,
    );
    this.reconnection = new Reconnection(options, connectOptions, {
      connection: () => this.client,
      listen: (next) => this.attachEvents(next),
      replace: (next, name) => {
        this.client = next;
        this.name = name;
      },
      rejoined: (reply) => this.noteRoom(reply),
      deliver: (message) => this.emit('message', this.sealed.open(message)),
      emit: this.emit.bind(this),
    });
    // Noted before anyone else hears of the drop, and before the rejoins replace the lists.
    this.on('disconnected', () => this.returning.dropped(this.roomMembers.snapshot()));
    this.on('reconnected', () => this.returning.reconnected());
    // Attached before login is sent: a message in the same frame as the reply is not lost.
    this.attachEvents(client);
    this.reconnection.watch(client);
  }

  /** Direct messages to and from this user from before this login, oldest first (sealed ones opened). */
  direct: DeliveredMessage[] = [];
  directMore = false;
  /** At this login: an operator had released the name (`!release`) since it was last used. */
  released: { by: string; at: number } | undefined;

  static async connect(options: ChatClientOptions): Promise<ChatClient> {
    // Checked once: its reconnects use them as they are (Reconnection).
    const connectOptions = parseOptions(clientOptionsSchema, options);
    const client = await ParlorClient.connectChecked(connectOptions, { identity: options.identity, dial: options.dial });
    options.onServerProven?.(client.server);
    const chat = new ChatClient(client, options, connectOptions);
    try {
      const login = await checkedRequest(client, 'login', { name: options.name, password: options.password, ...(options.replace === true && { replace: true }) });
      chat.name = login.name;
      chat.reconnection.session = login.session;
      chat.released = login.released;
      chat.direct = login.direct.map((message) => chat.sealed.open(message));
      chat.directMore = login.directMore;
      for (const message of login.direct) chat.reconnection.seenDirect(message.id);
      return chat;
    } catch (error) {
      chat.reconnection.closedByUser = true;
      client.close();
      throw error;
    }
  }

  get server(): ParlorClient['server'] {
    return this.client.server;
  }

  /** This client's own key fingerprint, as the server saw it on this connection. */
  get fingerprint(): string {
    return this.client.fingerprint;
  }

  get connected(): boolean {
    return this.client.isOpen;
  }

  async join(room: string, password?: string): Promise<OpenedJoin> {
    const reply = await this.request('join', { room, ...(password !== undefined && { password }) }, (joined) => this.remember(joined, password));
    return this.sealed.openJoin(this.withMembersNow(reply));
  }

  /** Creates a room; `secret` makes it end-to-end (plaintext `say` is then refused by the server). */
  async create(room: string, password?: string, options: { secret?: boolean } = {}): Promise<OpenedJoin> {
    const reply = await this.request(
      'create',
      { room, ...(password !== undefined && { password }), ...(options.secret === true && { secret: true }) },
      (created) => this.remember(created, password),
    );
    return this.sealed.openJoin(this.withMembersNow(reply));
  }

  leave(room: string): Promise<Reply<'leave'>> {
    return this.request('leave', { room }, (left) => {
      this.reconnection.left(left.room);
      this.roomMembers.forget(left.room);
      this.returning.forget(left.room);
    });
  }

  /** Says something in a room; in a secret room it is sealed to every member first. */
  async say(room: string, text: string): Promise<Reply<'say'>> {
    refuseCommandAsChat(text);
    // The server drops a `!!` escape from plaintext; a sealed line it cannot read, so it is dropped here.
    const reply = this.sealed.isSecretRoom(room) ? await this.sealed.say(room, unescapeChatLine(text)) : await this.request('say', { room, text, nonce: messageNonce() });
    this.reconnection.seenInRoom(room, reply.id);
    return reply;
  }

  /**
   * A direct message, always end to end: parlor's client never sends a DM in clear (a user the
   * server has no key for is USER_NOT_FOUND), so a plaintext DM is someone else's doing, or goes
   * to or from a user connected over ssh (whose key the server holds: IdentityKey.via).
   */
  async dm(to: string, text: string): Promise<SentDirect> {
    refuseCommandAsChat(text);
    // The SSH front door's visitors do not seal: the server runs their client (see endToEnd).
    const reply: SentDirect = this.endToEnd ? await this.sealed.dm(to, unescapeChatLine(text)) : { ...(await this.request('dm', { to, text, nonce: messageNonce() })), sshUser: this.name };
    this.reconnection.seenDirect(reply.id);
    return reply;
  }

  async history(query: { room?: string; with?: string; before?: number; limit?: number }): Promise<OpenedHistory> {
    return this.sealed.openHistory(await this.request('history', query));
  }

  listRooms(): Promise<Reply<'rooms'>> {
    return this.request('rooms', {});
  }

  /** A room's members with when each last spoke; joins and leaves that came after the reply are applied. */
  async members(room: string): Promise<Reply<'members'>> {
    const reply = await this.request('members', { room }, (listed) => this.roomMembers.set(listed.room, listed.members));
    return { ...reply, members: this.roomMembers.list(reply.room) ?? reply.members };
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
    // Noted as the reply arrives: the server's close comes right behind it, often in the same
    // read, and must not be taken for a dropped connection (no "reconnecting" before "bye").
    return this.request('command', { text, ...(room !== undefined && { room }) }, (reply) => {
      if (reply.command === 'exit') this.reconnection.closedByUser = true;
    });
  }

  /** `/op PASSWORD`: operator commands for the rest of this session (and after reconnects). */
  async op(password: string): Promise<Reply<'op'>> {
    const reply = await this.request('op', { password });
    this.reconnection.operatorPassword = password;
    return reply;
  }

  /**
   * Any request by type, its reply parsed; for what has no method of its own. `onReply` sees the
   * reply as it arrives, before the notices behind it (ParlorClient.request).
   */
  request<T extends RequestType>(type: T, fields: Record<string, unknown>, onReply?: (reply: Reply<T>) => void): Promise<Reply<T>> {
    return this.reconnection.request(type, fields, onReply);
  }

  close(): void {
    this.reconnection.closedByUser = true;
    this.client.close();
  }

  /** A join or create reply, as it arrives (before the notices behind it): rejoin data, members, keys. */
  private remember(reply: Reply<'join'>, password: string | undefined): void {
    this.reconnection.joined(reply, password);
    this.noteRoom(reply);
  }

  /** A join reply's members and, in a secret room, their keys (also a rejoin's, after a reconnect). */
  private noteRoom(reply: Reply<'join'>): void {
    this.roomMembers.set(reply.room, reply.members);
    this.sealed.noteRoomKeys(reply);
  }

  /** A join reply with its member list as it stands now, not as the reply had it. */
  private withMembersNow<T extends Reply<'join'>>(reply: T): T {
    const members = this.roomMembers.list(reply.room);
    return members ? { ...reply, members: members.map((member) => member.name) } : reply;
  }

  // --- end-to-end (issue 9): SealedChat (e2e/sealed-chat.ts) -----------------------------------
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

  private attachEvents(client: ParlorClient): void {
    this.attachTransfers(client);
    client.on('event', (event) => {
      switch (event.type) {
        case 'message':
          if (this.reconnection.deliverNow(event)) this.emit('message', this.sealed.open(event));
          break;
        case 'joined':
          this.roomMembers.joined(event.room, event.name);
          this.sealed.onRoomPresence(event);
          this.emit('joined', { ...event, returning: this.returning.returning(event.room, event.name) });
          break;
        case 'left':
          this.roomMembers.left(event.room, event.name);
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
}

/**
 * A bot command is never sent as chat: the server refuses one in plaintext, but a sealed line it
 * cannot read, so the client checks before sealing (the original ChatRoom's rule).
 */
function refuseCommandAsChat(text: string): void {
  if (isCommandLine(text)) throw new ParlorError('BAD_REQUEST', COMMAND_AS_CHAT);
}
