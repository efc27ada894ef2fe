// The web client's chat room, held by the local process: the same conversation model as the
// terminal UI's (src/shared/conversations.ts), ChatClient's events filed into it, and its changes
// turned into the page's events. Typed lines run in web-actions.ts, files in web-transfers.ts.
// Tabs get a snapshot on attach and then only what changed in the conversation on screen, so a
// room with 10,000 messages is sent once.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import type { PeerKeyChange } from '../client/e2e/peer-keys.ts';
import { foldName } from '../protocol/names.ts';
import { fileJoinReply, fileOlderPage } from '../shared/chat-filing.ts';
import { chatStatus } from '../shared/chat-status.ts';
import { completeLine } from '../shared/completion.ts';
import { ConversationList, membersByName, type Conversation, type Entry, type Filed, type PictureEntry, type Tone } from '../shared/conversations.ts';
import { PeerKeyWarnings, type KeyWarningsHost } from '../shared/peer-key-warnings.ts';
import { runWebLine } from './web-actions.ts';
import { followChatClient } from './web-events.ts';
import type { WebSession } from './web-session.ts';
import { WebTransfers } from './web-transfers.ts';
import type { PageRequest, StatusView, WebEntry, WebEvent } from './wire.ts';

/** The bot's picture in the page: fetched by its number (`src`), never by its path. */
export interface WebPicture extends PictureEntry {
  src: string;
}
type ModelEntry = Entry<WebPicture>;

export class WebChat implements KeyWarningsHost {
  readonly model: ConversationList<WebPicture>;
  readonly status: StatusView;
  readonly knownUsers = new Set<string>();
  readonly knownRooms = new Set<string>();
  readonly transfers: WebTransfers;
  /** Peers' changed keys: their warnings and /trust. */
  readonly keyWarnings = new PeerKeyWarnings(this);
  private seq = 0;
  private loadingOlder = false;
  /** Each entry as the page got it, numbered once so that an update replaces it; null: nothing to show. */
  private readonly wire = new WeakMap<ModelEntry, WebEntry | null>();
  /** What the tabs hold of the conversation on screen: enough to tell new entries at its end or top from any other change. */
  private shown: { key: string; length: number; first: ModelEntry | undefined; last: ModelEntry | undefined } | undefined;

  constructor(
    readonly session: WebSession,
    readonly chat: ChatClient,
    where: { address: string; trust: string | undefined; hostedPassword?: string },
  ) {
    this.status = { ...chatStatus(chat, where), transfers: { sending: 0, receiving: 0, asking: 0 } };
    this.model = new ConversationList<WebPicture>(chat.name);
    this.transfers = new WebTransfers(this);
  }

  async start(): Promise<void> {
    followChatClient(this);
    for (const message of this.chat.direct) this.addMessage(message, false);
    this.changed();
    try {
      await this.openRoom('lobby');
    } catch (error) {
      this.open('room', 'lobby');
      this.notice(`could not join the lobby: ${(error as Error).message}`, 'error');
    }
    this.notice('Welcome. /help lists the commands; Tab completes; Alt-Up/Alt-Down switch conversations.', 'info');
    if (this.transfers.problem !== undefined) this.notice(this.transfers.problem, 'warning');
  }

  /** A tab attached: the whole state, and the conversation on screen. */
  replay(send: (event: WebEvent) => void): void {
    send(this.snapshot());
    const current = this.model.current();
    if (current) send({ type: 'entries', key: current.key, entries: this.wireEntries(current.entries), mode: 'reset' });
  }

  snapshot(): WebEvent {
    const current = this.model.current();
    this.status.transfers = this.transfers.counts();
    this.status.name = this.chat.name;
    this.model.selfName = this.chat.name;
    return {
      type: 'chat',
      // The web client has no status conversation: rooms, then direct ones, each in the order opened.
      conversations: this.model.list().flatMap(({ key, kind, name, unread, mentioned, secret, more }) => (kind === 'status' ? [] : [{ key, kind, name, unread, mentioned, secret, more }])),
      ...(this.model.active !== undefined && { active: this.model.active }),
      members: current?.kind === 'room' ? membersByName(current) : [],
      status: this.status,
      self: this.chat.name,
    };
  }

  /** Something changed: every tab gets what is new on screen, then the conversation list and status. */
  changed(): void {
    this.sendEntries();
    this.session.broadcast(this.snapshot());
  }

  current(): Conversation<WebPicture> | undefined {
    return this.model.current();
  }

  open(kind: 'room' | 'dm', name: string): Conversation<WebPicture> {
    const before = this.model.active;
    const conversation = this.model.open(kind, name);
    // The first conversation opened is the one on screen.
    if (before === undefined) this.changed();
    return conversation;
  }

  /** Closes a room or DM; the one beside it in the list comes on screen. */
  close(key: string): void {
    this.model.close(key);
    this.changed();
  }

  select(key: string): void {
    this.model.select(key);
    this.sendEntries(true);
    this.session.broadcast(this.snapshot());
  }

  /** Adds an entry at the end of a conversation (the one on screen without a key). */
  add(key: string | undefined, entry: ModelEntry): void {
    if (this.model.add(key, entry)) this.sendEntries();
  }

  /** An entry changed in place (a transfer's progress). */
  update(key: string, entry: WebEntry): void {
    this.session.broadcast({ type: 'entry', key, entry });
  }

  notice(text: string, tone: Tone = 'info', key?: string): void {
    if (this.model.notice(key, text, tone)) this.sendEntries();
  }

  /** Files a message once, in id order; live ones from others count as unread off screen. */
  addMessage(message: DeliveredMessage, live = true): Filed<WebPicture> | undefined {
    const filed = this.model.addMessage(message, live);
    if (!filed) return undefined;
    this.knownUsers.add(message.from);
    if (live) this.changed();
    else this.sendEntries();
    return filed;
  }

  keyChangeAlarm(change: PeerKeyChange): void {
    this.session.broadcast({ type: 'notify', title: `${change.name}'s key changed`, body: 'compare fingerprints before you /trust it' });
  }

  /** `follow` after /trust: held messages opened in place, so the conversation on screen is sent whole. */
  keyWarningsShown(follow: boolean): void {
    this.sendEntries(follow);
    this.session.broadcast(this.snapshot());
  }

  /** An entry as the page gets it (made once, then the same object); undefined for what the page does not show. */
  wireEntry(entry: ModelEntry): WebEntry | undefined {
    let wire = this.wire.get(entry);
    if (wire === undefined) {
      wire = this.toWire(entry);
      this.wire.set(entry, wire);
    }
    return wire ?? undefined;
  }

  private wireEntries(entries: readonly ModelEntry[]): WebEntry[] {
    const wire: WebEntry[] = [];
    for (const entry of entries) {
      const sent = this.wireEntry(entry);
      if (sent) wire.push(sent);
    }
    return wire;
  }

  private toWire(entry: ModelEntry): WebEntry | null {
    const seq = ++this.seq;
    switch (entry.kind) {
      case 'message': {
        const { message } = entry;
        // Sealed to others only: there is nothing to read (the join's "not sealed to you" notice counts them).
        if (message.e2e?.state === 'not-sealed-to-you') return null;
        const e2e = message.e2e?.state === 'verified' ? { e2e: 'verified' as const } : message.e2e?.state === 'rejected' ? { e2e: 'rejected' as const, code: message.e2e.code } : {};
        return { seq, kind: 'message', id: message.id, ts: message.ts, from: message.from, text: message.text, own: foldName(message.from) === foldName(this.chat.name), mention: entry.mention, ...e2e };
      }
      case 'notice':
        // The page draws an announcement as a warning.
        return { seq, kind: 'notice', ts: entry.ts, text: entry.text, tone: entry.tone === 'announce' ? 'warning' : entry.tone };
      case 'bot':
        return { seq, kind: 'bot', ts: entry.ts, command: entry.command, text: entry.text, ...(entry.link !== undefined && { link: entry.link }) };
      case 'image':
        return { seq, kind: 'image', ts: entry.ts, command: entry.command, src: entry.src, path: entry.path };
      case 'transfer':
        return { seq, kind: 'transfer', ts: entry.ts, transfer: this.transfers.view(entry.line) };
    }
  }

  /**
   * Sends every tab what changed in the conversation on screen since it was last sent: entries
   * added at its end ('append') or top ('prepend'), or else all of it ('reset'), which selecting
   * a conversation asks for. Conversations off screen are sent when selected.
   */
  private sendEntries(reset = false): void {
    const conversation = this.model.current();
    if (!conversation) {
      this.shown = undefined;
      return;
    }
    const { entries } = conversation;
    const shown = this.shown;
    let mode: 'reset' | 'append' | 'prepend' = 'reset';
    let changed: readonly ModelEntry[] = entries;
    if (!reset && shown?.key === conversation.key) {
      const added = entries.length - shown.length;
      if (added === 0 && entries[0] === shown.first && entries.at(-1) === shown.last) return;
      if (added > 0 && (shown.length === 0 || (entries[0] === shown.first && entries[shown.length - 1] === shown.last))) {
        mode = 'append';
        changed = entries.slice(shown.length);
      } else if (added > 0 && entries[added] === shown.first && entries.at(-1) === shown.last) {
        mode = 'prepend';
        changed = entries.slice(0, added);
      }
    }
    this.shown = { key: conversation.key, length: entries.length, first: entries[0], last: entries.at(-1) };
    const wire = this.wireEntries(changed);
    if (mode === 'reset' || wire.length > 0) this.session.broadcast({ type: 'entries', key: conversation.key, entries: wire, mode });
  }

  async openRoom(room: string, password?: string, create = false, secret = false): Promise<void> {
    const reply = create ? await this.chat.create(room, password, { secret }) : await this.chat.join(room, password);
    const conversation = fileJoinReply(this.model, this, reply, reply.secret === true || this.chat.isSecretRoom(reply.room));
    if (conversation.secret) this.keyWarnings.showIn(conversation.key);
    this.select(conversation.key);
    await this.refreshMembers(conversation.key);
  }

  async refreshMembers(key: string): Promise<void> {
    const conversation = this.model.get(key);
    if (conversation?.kind !== 'room') return;
    try {
      const reply = await this.chat.members(conversation.name);
      this.model.setMembers(key, reply.members);
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
    const conversation = this.model.get(key);
    const before = this.model.oldestId(key);
    if (!conversation?.more || this.loadingOlder || before === undefined || conversation.kind === 'status') return;
    this.loadingOlder = true;
    try {
      const reply = await this.chat.history(conversation.kind === 'room' ? { room: conversation.name, before, limit } : { with: conversation.name, before, limit });
      fileOlderPage(this.model, conversation, reply);
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
