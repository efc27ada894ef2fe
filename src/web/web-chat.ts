// The web client's chat room, held by the local process: the same conversation model as the
// terminal UI's (src/shared/conversations.ts), ChatClient's events filed into it, and its changes
// turned into the page's events. Typed lines run in web-actions.ts, files in web-transfers.ts.
// Tabs get a snapshot on attach and then only what changed in the conversation on screen, so a
// room with 10,000 messages is sent once.

import type { ChatClient } from '../client/chat-client.ts';
import { releaseWords } from '../protocol/operator-notices.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import type { PeerKeyChange } from '../client/e2e/peer-keys.ts';
import { fetchMembers, fileJoinReply, fileOlderPage } from '../shared/chat-filing.ts';
import { chatStatus } from '../shared/chat-status.ts';
import { completeLine } from '../shared/completion.ts';
import { ConversationList, type Conversation, type Filed, type Tone } from '../shared/conversations.ts';
import { membersByName } from '../shared/members.ts';
import { ownMessage } from '../shared/own-messages.ts';
import { PeerKeyWarnings, type KeyWarningsHost } from '../shared/peer-key-warnings.ts';
import { runWebLine } from './web-actions.ts';
import { PageEntries, type WebModelEntry, type WebPicture } from './page-entries.ts';
import { followChatClient } from './web-events.ts';
import type { WebSession } from './web-session.ts';
import { WebTransfers } from './web-transfers.ts';
import type { PageRequest, StatusView, WebEntry, WebEvent } from './wire.ts';

export class WebChat implements KeyWarningsHost {
  readonly model: ConversationList<WebPicture>;
  readonly status: StatusView;
  readonly knownUsers = new Set<string>();
  readonly knownRooms = new Set<string>();
  readonly transfers: WebTransfers;
  /** Peers' changed keys: their warnings and /trust. */
  readonly keyWarnings = new PeerKeyWarnings(this);
  /** The entries as the tabs hold them. */
  readonly page: PageEntries;
  private loadingOlder = false;

  constructor(
    readonly session: WebSession,
    readonly chat: ChatClient,
    where: { address: string; trust: string | undefined; hostedPassword?: string },
  ) {
    this.status = { ...chatStatus(chat, where), transfers: { sending: 0, receiving: 0, asking: 0 } };
    this.model = new ConversationList<WebPicture>(chat.name);
    this.transfers = new WebTransfers(this);
    this.page = new PageEntries((event) => session.broadcast(event), { self: () => chat.name, transfer: (line) => this.transfers.view(line) });
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
    // As the terminal says it: an operator gave this name to the key that logged in now.
    if (this.chat.released) this.notice(releaseWords(this.chat.name, this.chat.released), 'warning');
    if (this.transfers.problem !== undefined) this.notice(this.transfers.problem, 'warning');
  }

  /** A tab attached: the whole state, and the conversation on screen. */
  replay(send: (event: WebEvent) => void): void {
    send(this.snapshot());
    const current = this.model.current();
    if (current) send({ type: 'entries', key: current.key, entries: this.page.wireEntries(current.entries), mode: 'reset' });
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
    this.page.send(this.model.current());
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
    this.page.send(this.model.current(), true);
    this.session.broadcast(this.snapshot());
  }

  /** Adds an entry at the end of a conversation (the one on screen without a key). */
  add(key: string | undefined, entry: WebModelEntry): void {
    if (this.model.add(key, entry)) this.page.send(this.model.current());
  }

  /** An entry changed in place (a transfer's progress). */
  update(key: string, entry: WebEntry): void {
    this.session.broadcast({ type: 'entry', key, entry });
  }

  notice(text: string, tone: Tone = 'info', key?: string): void {
    if (this.model.notice(key, text, tone)) this.page.send(this.model.current());
  }

  /** Files a message once, in id order; live ones from others count as unread off screen. */
  addMessage(message: DeliveredMessage, live = true): Filed<WebPicture> | undefined {
    const filed = this.model.addMessage(message, live);
    if (!filed) return undefined;
    this.knownUsers.add(message.from);
    if (live) this.changed();
    else this.page.send(this.model.current());
    return filed;
  }

  /** Files a message this user sent (the server does not echo it back). */
  addOwn(message: DeliveredMessage): void {
    this.addMessage(ownMessage(this.chat, message));
  }

  keyChangeAlarm(change: PeerKeyChange): void {
    this.session.broadcast({ type: 'notify', title: `${change.name}'s key changed`, body: 'compare fingerprints before you /trust it' });
  }

  /** `follow` after /trust: held messages opened in place, so the conversation on screen is sent whole. */
  keyWarningsShown(follow: boolean): void {
    this.page.send(this.model.current(), follow);
    this.session.broadcast(this.snapshot());
  }

  async openRoom(room: string, password?: string, create = false, secret = false): Promise<void> {
    const reply = create ? await this.chat.create(room, password, { secret }) : await this.chat.join(room, password);
    const conversation = fileJoinReply(this.model, this, reply, reply.secret === true || this.chat.isSecretRoom(reply.room));
    if (conversation.secret) this.keyWarnings.showIn(conversation.key);
    this.select(conversation.key);
    await this.refreshMembers(conversation.key);
  }

  async refreshMembers(key: string): Promise<void> {
    if (await fetchMembers(this.model, this.chat, key)) this.changed();
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
