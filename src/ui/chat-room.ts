// The chat room: the room list (unread counts, direct conversations), the messages of the one on
// screen, its members with their last-message times, the input line, and the status bar with the
// connection's state. It draws from the ConversationList model and hands typed lines to
// chat-actions.ts; it never talks to a socket, only to ChatClient.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e.ts';
import { formatAddress } from '../options.ts';
import { foldName } from '../protocol/names.ts';
import { ChatKeys } from './chat-keys.ts';
import { ChatPanes } from './chat-panes.ts';
import { notSealedText, type StatusState } from './chat-view.ts';
import { ConversationList, roomKey, type Tone } from './conversations.ts';
import { PeerKeyWarnings } from './peer-key-warnings.ts';
import { resolveTheme, type ThemeName } from './themes.ts';
import { downloadsFor, TransferBoard, type TransferPlace } from './transfer-board.ts';
import type { TransferLine } from './transfer-view.ts';
import type { LoginTarget, UiContext } from './ui-context.ts';

export class ChatRoom {
  readonly model: ConversationList;
  readonly status: StatusState;
  /** Names and rooms seen anywhere: for completion. */
  readonly knownUsers = new Set<string>();
  readonly knownRooms = new Set<string>();
  /** Files sent and received; their lines live in the conversations. */
  readonly transfers: TransferBoard;
  private readonly downloadsProblem: string | undefined;
  private readonly keys = new ChatKeys(this);
  private loadingOlder = false;
  private countdown: NodeJS.Timeout | undefined;
  /** Peers' changed keys: their warnings and /trust. */
  readonly keyWarnings = new PeerKeyWarnings(this);
  readonly panes: ChatPanes;

  constructor(
    readonly ui: UiContext,
    readonly chat: ChatClient,
    target: LoginTarget,
  ) {
    this.model = new ConversationList(chat.name);
    this.status = {
      serverName: chat.server.name,
      address: formatAddress(target.host, target.port),
      fingerprint: chat.server.fingerprint,
      // A key pinned from the advert was checked against known_servers by the login room.
      trust: chat.server.trust === 'accepted-new' ? 'new key accepted' : chat.server.trust === 'pinned' ? target.trust ?? 'pinned' : chat.server.trust,
      name: chat.name,
      connection: 'connected',
      ...(target.hosted && { hostedPassword: target.hosted.password }),
    };
    this.panes = new ChatPanes(ui, () => void this.loadOlder());
    const downloads = downloadsFor(ui.options);
    this.downloadsProblem = downloads.problem;
    this.transfers = new TransferBoard(chat, downloads, { place: (where, line, attention) => this.placeTransfer(where, line, attention), redraw: () => this.render() });
    ui.beforeQuit = () => this.transfers.cancelAll();
    this.panes.layout();
    this.panes.applyTheme();
    this.render();
  }

  /** Joins the lobby, files the direct messages from login, and runs until the user quits. */
  async start(): Promise<void> {
    const { chat, model } = this;
    chat.on('message', (message) => this.onMessage(message));
    // Deferred a turn: the message or join that revealed the change is filed first, so the
    // warning lands in the conversation it concerns.
    chat.on('peerKeyChanged', (change) => setImmediate(() => this.keyWarnings.changed(change)));
    chat.on('joined', (event) => {
      const key = roomKey(event.room);
      this.knownUsers.add(event.name);
      const conversation = model.get(key);
      if (!conversation) return;
      conversation.members.set(foldName(event.name), conversation.members.get(foldName(event.name)) ?? { name: event.name, lastMessageAt: null });
      model.notice(key, `${event.name} joined #${event.room}`, 'join');
      this.render();
    });
    chat.on('left', (event) => {
      const key = roomKey(event.room);
      model.get(key)?.members.delete(foldName(event.name));
      model.notice(key, `${event.name} ${event.reason === 'left' ? 'left' : 'disconnected from'} #${event.room}`, 'leave');
      this.render();
    });
    chat.on('announcement', (event) => {
      for (const conversation of model.list()) model.notice(conversation.key, `announcement from ${event.from}: ${event.text}`, 'warning', event.ts);
      this.ring(true);
      this.render();
    });
    chat.on('disconnected', ({ reason }) => {
      this.status.connection = 'reconnecting';
      model.notice(undefined, `connection lost (${reason.code}); reconnecting`, 'warning');
      this.render();
    });
    chat.on('reconnecting', ({ attempt, delayMs }) => {
      this.status.connection = 'reconnecting';
      this.status.attempt = attempt;
      this.status.reconnectAt = Date.now() + delayMs;
      this.countdown ??= setInterval(() => this.render(), 1000);
      this.render();
    });
    chat.on('reconnected', () => {
      this.stopCountdown();
      this.status.connection = 'connected';
      model.notice(undefined, 'reconnected; anything missed is shown above', 'info');
      for (const conversation of model.list()) if (conversation.kind === 'room') void this.refreshMembers(conversation.key);
      this.render();
    });
    chat.on('closed', ({ reason }) => {
      this.stopCountdown();
      this.status.connection = 'closed';
      this.status.closedReason = reason.code;
      model.notice(undefined, `disconnected for good: ${reason.code}: ${reason.message}\nPress Ctrl-C to leave.`, 'error');
      this.render();
    });

    for (const message of chat.direct) model.addMessage(message, false);
    this.ui.screen.on('keypress', (ch: string | undefined, key: { full: string }) => this.keys.press(ch, key));
    this.ui.screen.on('resize', () => {
      this.panes.layout();
      this.render();
    });
    try {
      await this.openRoom('lobby');
    } catch (error) {
      model.open('room', 'lobby');
      this.notice(`could not join the lobby: ${(error as Error).message}`, 'error');
    }
    model.select(roomKey('lobby'));
    this.notice('Welcome. /help lists the commands; Ctrl-N/Ctrl-P switch rooms; PageUp scrolls back.', 'info');
    if (this.downloadsProblem !== undefined) this.notice(this.downloadsProblem, 'warning');
    this.render();
  }

  /** Joins (or creates) a room and puts it on screen with its history and members. */
  async openRoom(room: string, password?: string, create = false, secret = false): Promise<void> {
    const reply = create ? await this.chat.create(room, password, { secret }) : await this.chat.join(room, password);
    const conversation = this.model.open('room', reply.room);
    conversation.name = reply.room;
    conversation.secret = reply.secret === true || this.chat.isSecretRoom(reply.room);
    this.knownRooms.add(reply.room);
    for (const message of reply.history) this.model.addMessage(message, false);
    conversation.more = reply.more;
    if (reply.notSealedToYou > 0) this.model.notice(conversation.key, notSealedText(reply.notSealedToYou), 'info');
    this.model.setMembers(conversation.key, reply.members.map((name) => ({ name, lastMessageAt: null })));
    for (const name of reply.members) this.knownUsers.add(name);
    if (conversation.secret) this.keyWarnings.showIn(conversation.key);
    this.model.select(conversation.key);
    this.panes.follow = true;
    await this.refreshMembers(conversation.key);
  }

  async refreshMembers(key: string): Promise<void> {
    const conversation = this.model.get(key);
    if (!conversation || conversation.kind !== 'room') return;
    try {
      const reply = await this.chat.members(conversation.name);
      this.model.setMembers(key, reply.members);
      this.render();
    } catch {
      // The member list is a convenience; the next join or leave refreshes it.
    }
  }

  notice(text: string, tone: Tone = 'info', key?: string): void {
    this.model.notice(key, text, tone);
    this.panes.follow = true;
    this.render();
  }

  /** Files a message this user sent (the server does not echo it back). */
  addOwn(message: DeliveredMessage): void {
    this.model.addMessage(message);
    this.panes.follow = true;
    this.render();
  }

  switchTo(key: string): void {
    this.model.select(key);
    this.panes.follow = true;
    this.render();
  }

  setTheme(name: ThemeName): void {
    this.ui.settings.theme = name;
    this.ui.theme = resolveTheme(name, this.ui.options.env);
    this.ui.saveSettings();
    this.panes.applyTheme();
    this.render();
  }

  destroy(): void {
    this.stopCountdown();
  }

  /** A transfer's line, once, in its conversation; an offer to answer counts as a mention. */
  private placeTransfer(where: TransferPlace, line: TransferLine, attention: boolean): void {
    const conversation = 'room' in where ? this.model.open('room', where.room) : this.model.open('dm', where.with);
    this.model.add(conversation.key, { kind: 'transfer', ts: Date.now(), line });
    if (conversation.key === this.model.active) this.panes.follow = true;
    else if (line.direction === 'receive') {
      conversation.unread++;
      conversation.mentioned ||= attention;
    }
    if (attention) this.ring(false);
  }

  private onMessage(message: DeliveredMessage): void {
    const filed = this.model.addMessage(message);
    if (!filed) return;
    this.knownUsers.add(message.from);
    const { bell } = this.ui.settings;
    if (bell === 'all' || (bell === 'mentions' && (filed.mention || filed.direct))) this.ring(false);
    this.render();
  }

  /** The terminal's bell: `always` for what must be heard whatever /bell says. */
  ring(always: boolean): void {
    if (always || this.ui.settings.bell !== 'off') this.ui.screen.program.output.write('\u0007');
  }

  private stopCountdown(): void {
    if (this.countdown) clearInterval(this.countdown);
    this.countdown = undefined;
  }

  /** Scrolled to the top: asks for the page before the oldest message shown. */
  async loadOlder(): Promise<void> {
    const conversation = this.model.current();
    if (!conversation || !conversation.more || this.loadingOlder) return;
    const before = this.model.oldestId(conversation.key);
    if (before === undefined) return;
    this.loadingOlder = true;
    try {
      const reply = await this.chat.history(conversation.kind === 'room' ? { room: conversation.name, before, limit: 50 } : { with: conversation.name, before, limit: 50 });
      const height = this.panes.contentHeight();
      for (const message of reply.messages) this.model.addMessage(message, false);
      if (reply.notSealedToYou > 0) this.model.notice(conversation.key, notSealedText(reply.notSealedToYou), 'info', Date.now(), true);
      conversation.more = reply.more && reply.messages.length > 0;
      this.render();
      // Stay on the line that was at the top before the older page went in above it.
      this.panes.scrollTo(this.panes.contentHeight() - height);
      this.ui.screen.render();
    } catch (error) {
      this.notice(`could not load older messages: ${(error as Error).message}`, 'error');
    } finally {
      this.loadingOlder = false;
    }
  }

  render(): void {
    this.status.transfers = this.transfers.counts();
    this.panes.draw(this.model, this.status, this.keys.editor, this.chat.name);
  }
}
