// The web client's chat room, held by the local process: the conversations (rooms joined, direct
// messages) with their entries, unread counts and members, the status line, and ChatClient's
// events filed into them. Typed lines run in web-actions.ts, files in web-transfers.ts. Tabs get
// a snapshot on attach and then only what changed, so a room with 10,000 messages is sent once.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import { foldName } from '../protocol/names.ts';
import { completeLine } from '../shared/completion.ts';
import { notSealedText } from '../shared/notices.ts';
import { runWebLine } from './web-actions.ts';
import { dmKey, roomKey } from './conversation-keys.ts';
import { followChatClient } from './web-events.ts';
import type { WebSession } from './web-session.ts';
import { WebTransfers } from './web-transfers.ts';
import type { ConversationView, NewEntry, PageRequest, StatusView, Tone, WebEntry, WebEvent } from './wire.ts';

export interface WebConversation extends ConversationView {
  entries: WebEntry[];
  ids: Set<number>;
  members: Map<string, { name: string; lastMessageAt: number | null }>;
}


/** The user's name as a word of its own (or @name), in any letter case. */
function mentions(text: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return name !== '' && new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}(?![\\p{L}\\p{N}_])`, 'iu').test(text);
}

export class WebChat {
  readonly conversations = new Map<string, WebConversation>();
  active: string | undefined;
  readonly status: StatusView;
  readonly knownUsers = new Set<string>();
  readonly knownRooms = new Set<string>();
  readonly transfers: WebTransfers;
  private seq = 0;
  private loadingOlder = false;

  constructor(
    readonly session: WebSession,
    readonly chat: ChatClient,
    where: { address: string; trust: string | undefined; hostedPassword?: string },
  ) {
    const trust = chat.server.trust === 'accepted-new' ? 'new key accepted' : chat.server.trust === 'pinned' ? (where.trust ?? 'pinned') : chat.server.trust;
    this.status = {
      connection: 'connected', serverName: chat.server.name, address: where.address, fingerprint: chat.server.fingerprint, trust, name: chat.name,
      transfers: { sending: 0, receiving: 0, asking: 0 }, ...(where.hostedPassword !== undefined && { hostedPassword: where.hostedPassword }),
    };
    this.transfers = new WebTransfers(this);
  }

  async start(): Promise<void> {
    followChatClient(this);
    for (const message of this.chat.direct) this.addMessage(message, false);
    this.session.broadcast(this.snapshot());
    try {
      await this.openRoom('lobby');
    } catch (error) {
      this.open('room', 'lobby');
      this.notice(`could not join the lobby: ${(error as Error).message}`, 'error');
    }
    this.notice('Welcome. /help lists the commands; Tab completes; Alt-Up/Alt-Down switch conversations.', 'info');
    if (this.transfers.problem !== undefined) this.notice(this.transfers.problem, 'warning');
  }

  replay(send: (event: WebEvent) => void): void {
    send(this.snapshot());
    const current = this.current();
    if (current) send({ type: 'entries', key: current.key, entries: current.entries, mode: 'reset' });
  }

  snapshot(): WebEvent {
    const current = this.current();
    this.status.transfers = this.transfers.counts();
    this.status.name = this.chat.name;
    return {
      type: 'chat',
      conversations: [...this.conversations.values()].sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'room' ? -1 : 1)).map(({ key, kind, name, unread, mentioned, secret, more }) => ({ key, kind, name, unread, mentioned, secret, more })),
      ...(this.active !== undefined && { active: this.active }),
      members: current?.kind === 'room' ? [...current.members.values()].sort((a, b) => a.name.localeCompare(b.name)) : [],
      status: this.status,
      self: this.chat.name,
    };
  }

  /** The conversation list and status changed: every tab redraws them. */
  changed(): void {
    this.session.broadcast(this.snapshot());
  }

  current(): WebConversation | undefined {
    return this.active === undefined ? undefined : this.conversations.get(this.active);
  }

  open(kind: 'room' | 'dm', name: string): WebConversation {
    const key = kind === 'room' ? roomKey(name) : dmKey(name);
    let conversation = this.conversations.get(key);
    if (!conversation) {
      conversation = { key, kind, name: name.replace(/^[#@]/, ''), unread: 0, mentioned: false, secret: kind === 'dm', more: false, entries: [], ids: new Set(), members: new Map() };
      this.conversations.set(key, conversation);
      if (this.active === undefined) this.select(key);
    }
    return conversation;
  }

  close(key: string): void {
    this.conversations.delete(key);
    if (this.active === key) this.select([...this.conversations.keys()][0]);
    else this.changed();
  }

  select(key: string | undefined): void {
    const conversation = key === undefined ? undefined : this.conversations.get(key);
    this.active = conversation?.key;
    if (conversation) {
      conversation.unread = 0;
      conversation.mentioned = false;
    }
    this.changed();
    if (conversation) this.session.broadcast({ type: 'entries', key: conversation.key, entries: conversation.entries, mode: 'reset' });
  }

  /** Adds an entry at the end of a conversation (the one on screen without a key). */
  add(key: string | undefined, entry: NewEntry): WebEntry | undefined {
    const conversation = key === undefined ? this.current() : this.conversations.get(key);
    if (!conversation) return undefined;
    const filed = { ...entry, seq: ++this.seq } as WebEntry;
    conversation.entries.push(filed);
    this.session.broadcast({ type: 'entries', key: conversation.key, entries: [filed], mode: 'append' });
    return filed;
  }

  /** An entry changed in place (a transfer's progress). */
  update(key: string, entry: WebEntry): void {
    this.session.broadcast({ type: 'entry', key, entry });
  }

  notice(text: string, tone: Tone = 'info', key?: string): void {
    this.add(key, { kind: 'notice', ts: Date.now(), text, tone });
  }

  nextSeq(): number {
    return ++this.seq;
  }

  /** Files a message once, in id order; live ones from others count as unread off screen. */
  addMessage(message: DeliveredMessage, live = true): { mention: boolean; direct: boolean } | undefined {
    const direct = message.room === undefined;
    const own = foldName(message.from) === foldName(this.chat.name);
    const conversation = direct ? this.open('dm', own ? (message.to ?? message.from) : message.from) : this.open('room', message.room!);
    if (conversation.ids.has(message.id) || message.e2e?.state === 'not-sealed-to-you') return undefined;
    conversation.ids.add(message.id);
    this.knownUsers.add(message.from);
    const mention = !own && mentions(message.text, this.chat.name);
    const entry = this.messageEntry(message, own, mention);
    const member = conversation.members.get(foldName(message.from));
    if (member && (member.lastMessageAt ?? 0) < message.ts) member.lastMessageAt = message.ts;
    const at = live ? -1 : conversation.entries.findIndex((e) => e.kind === 'message' && e.id > message.id);
    if (at < 0) {
      conversation.entries.push(entry);
      this.session.broadcast({ type: 'entries', key: conversation.key, entries: [entry], mode: 'append' });
    } else {
      conversation.entries.splice(at, 0, entry);
      if (conversation.key === this.active) this.session.broadcast({ type: 'entries', key: conversation.key, entries: conversation.entries, mode: 'reset' });
    }
    if (live && !own && this.active !== conversation.key) {
      conversation.unread++;
      if (mention || direct) conversation.mentioned = true;
    }
    if (live) this.changed();
    return { mention, direct };
  }

  messageEntry(message: DeliveredMessage, own: boolean, mention: boolean): WebEntry {
    const e2e = message.e2e?.state === 'verified' ? { e2e: 'verified' as const } : message.e2e?.state === 'rejected' ? { e2e: 'rejected' as const, code: message.e2e.code } : {};
    return { seq: ++this.seq, kind: 'message', id: message.id, ts: message.ts, from: message.from, text: message.text, own, mention, ...e2e };
  }

  async openRoom(room: string, password?: string, create = false, secret = false): Promise<void> {
    const reply = create ? await this.chat.create(room, password, { secret }) : await this.chat.join(room, password);
    const conversation = this.open('room', reply.room);
    conversation.name = reply.room;
    conversation.secret = reply.secret === true || this.chat.isSecretRoom(reply.room);
    this.knownRooms.add(reply.room);
    conversation.members = new Map(reply.members.map((name) => [foldName(name), { name, lastMessageAt: null }]));
    for (const name of reply.members) this.knownUsers.add(name);
    for (const message of reply.history) this.addMessage(message, false);
    conversation.more = reply.more;
    if (reply.notSealedToYou > 0) this.notice(notSealedText(reply.notSealedToYou), 'info', conversation.key);
    this.select(conversation.key);
    await this.refreshMembers(conversation.key);
  }

  async refreshMembers(key: string): Promise<void> {
    const conversation = this.conversations.get(key);
    if (conversation?.kind !== 'room') return;
    try {
      const reply = await this.chat.members(conversation.name);
      conversation.members = new Map(reply.members.map((m) => [foldName(m.name), { ...m }]));
      this.changed();
    } catch {
      // The member list is a convenience; the next join or leave refreshes it.
    }
  }

  async handle(request: PageRequest, reply: (event: WebEvent) => void): Promise<void> {
    switch (request.type) {
      case 'line':
        return runWebLine(this, request.text);
      case 'select':
        return this.select(request.key);
      case 'older':
        return this.loadOlder(request.key);
      case 'complete': {
        const sources = { users: [...this.knownUsers], rooms: [...this.knownRooms] };
        const done = completeLine(request.line, sources, request.cycle);
        return reply({ type: 'completion', line: done.line, ...(done.cycle && { cycle: done.cycle }) });
      }
      case 'transfer': {
        const problem = await this.transfers[request.verb](request.id);
        if (problem !== undefined) this.notice(problem, 'error');
        return;
      }
      default:
        return;
    }
  }

  /** Scrolled to the top: the page of history before the oldest message held. */
  /** 250 a page: fewer round trips than the terminal's 50, since the page holds more at once. */
  async loadOlder(key: string, limit = 250): Promise<void> {
    const conversation = this.conversations.get(key);
    if (!conversation?.more || this.loadingOlder || conversation.ids.size === 0) return;
    this.loadingOlder = true;
    try {
      const before = Math.min(...conversation.ids);
      const reply = await this.chat.history(conversation.kind === 'room' ? { room: conversation.name, before, limit } : { with: conversation.name, before, limit });
      const older = reply.messages.filter((m) => !conversation.ids.has(m.id) && m.e2e?.state !== 'not-sealed-to-you');
      for (const m of older) conversation.ids.add(m.id);
      const entries = older.sort((a, b) => a.id - b.id).map((m) => this.messageEntry(m, foldName(m.from) === foldName(this.chat.name), mentions(m.text, this.chat.name)));
      conversation.entries.unshift(...entries);
      conversation.more = reply.more && reply.messages.length > 0;
      this.session.broadcast({ type: 'entries', key, entries, mode: 'prepend' });
      this.changed();
    } catch (error) {
      this.notice(`could not load older messages: ${(error as Error).message}`, 'error');
    } finally {
      this.loadingOlder = false;
    }
  }

  /** A desktop notification in the page, as /bell says (`always` for what must be heard). */
  ring(title: string, body: string, attention: boolean): void {
    const { bell } = this.session.settings;
    if (bell === 'all' || (bell === 'mentions' && attention)) this.session.broadcast({ type: 'notify', title, body });
  }

  /** Leaving parlor: transfers cancelled (at most a second), then the connection closed. */
  async end(): Promise<void> {
    await Promise.race([this.transfers.cancelAll(), new Promise((resolve) => setTimeout(resolve, 1000))]);
    this.chat.close();
  }
}
