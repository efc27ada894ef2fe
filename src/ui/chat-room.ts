// The chat room: the room list (unread counts, direct conversations), the messages of the one on
// screen, its members with their last-message times, the input line, and the status bar with the
// connection's state. It draws from the ConversationList model and hands typed lines to
// chat-actions.ts; it never talks to a socket, only to ChatClient.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e.ts';
import type { PeerKeyChange } from '../client/peer-keys.ts';
import { formatAddress } from '../options.ts';
import { foldName } from '../protocol/names.ts';
import { ChatKeys } from './chat-keys.ts';
import { ChatPanes } from './chat-panes.ts';
import { notSealedText, peerKeyChangedWarning, type StatusState } from './chat-view.ts';
import { ConversationList, roomKey, type Tone } from './conversations.ts';
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
  /** Peers whose key changed and who are not trusted again yet, by folded name. */
  private readonly keyChanges = new Map<string, PeerKeyChange>();
  /** Which panes already show which key change ("conversation key|name|fingerprint"). */
  private readonly warned = new Set<string>();
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
    chat.on('peerKeyChanged', (change) => setImmediate(() => this.onPeerKeyChanged(change)));
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
    if (conversation.secret) for (const change of this.keyChanges.values()) this.warnIn(conversation.key, change);
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

  /**
   * A peer's key changed: the loud warning goes to the conversations it concerns (the direct one
   * with them, secret rooms they are in), or to the one on screen when there is none.
   */
  private onPeerKeyChanged(change: PeerKeyChange): void {
    this.keyChanges.set(foldName(change.name), change);
    const name = foldName(change.name);
    const concerned = this.model.list().filter((c) => (c.kind === 'dm' ? foldName(c.name) === name : c.secret && c.members.has(name)));
    const keys = concerned.length > 0 ? concerned.map((c) => c.key) : [this.model.active].filter((k) => k !== undefined);
    for (const key of keys) this.warnIn(key, change);
    this.ring(true);
    this.render();
  }

  private warnIn(key: string, change: PeerKeyChange): void {
    const conversation = this.model.get(key);
    const name = foldName(change.name);
    if (!conversation || (conversation.kind === 'room' && !conversation.members.has(name))) return;
    const mark = `${key}|${name}|${change.presented}`;
    if (this.warned.has(mark)) return;
    this.warned.add(mark);
    this.model.notice(key, peerKeyChangedWarning(change), 'alarm');
  }

  /** The key change waiting for the user's decision on `name`, if any. */
  pendingKeyChange(name: string): PeerKeyChange | undefined {
    return this.keyChanges.get(foldName(name));
  }

  /**
   * The user trusts `name`'s key now (/trust): the warnings are answered where they were shown,
   * and messages held because of the change are fetched again, opened, and put in their place.
   */
  async keyTrusted(name: string, fingerprint: string): Promise<void> {
    const folded = foldName(name);
    this.keyChanges.delete(folded);
    for (const conversation of this.model.list()) {
      const held = conversation.entries.flatMap((e) => (e.kind === 'message' && e.message.e2e?.state === 'rejected' && e.message.e2e.code === 'E2E_PEER_KEY_CHANGED' && foldName(e.message.from) === folded ? [e.message.id] : []));
      const warnedHere = [...this.warned].some((mark) => mark.startsWith(`${conversation.key}|${folded}|`));
      if (held.length === 0 && !warnedHere && conversation.key !== this.model.active) continue;
      for (const mark of [...this.warned]) if (mark.startsWith(`${conversation.key}|${folded}|`)) this.warned.delete(mark);
      let opened = 0;
      if (held.length > 0) {
        try {
          const where = conversation.kind === 'room' ? { room: conversation.name } : { with: conversation.name };
          // Ids are global, so the span of ids bounds how many messages lie between them.
          const newest = Math.max(...held);
          const reply = await this.chat.history({ ...where, before: newest + 1, limit: Math.min(500, newest - Math.min(...held) + 1) });
          for (const message of reply.messages) if (held.includes(message.id) && message.e2e?.state !== 'rejected' && this.model.replaceMessage(conversation.key, message)) opened++;
        } catch (error) {
          this.model.notice(conversation.key, `could not fetch the held messages again: ${(error as Error).message}`, 'error');
        }
      }
      const heldText = held.length === 0 ? '' : `\n${opened} of ${held.length} held message${held.length === 1 ? '' : 's'} opened`;
      this.model.notice(conversation.key, `you now trust ${name}'s key ${fingerprint}${heldText}`, 'join');
    }
    this.panes.follow = true;
    this.render();
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

  private ring(always: boolean): void {
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
