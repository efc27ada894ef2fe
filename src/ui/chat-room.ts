// The chat room: the conversations (status, rooms joined, direct messages) and what happens to
// them: joining a room with its history and members (and again at the next start: autojoin.ts),
// notices, the user's own messages, older pages when scrolled to the top, transfer lines; and the
// status bar's state. Its parts: chat-panes.ts draws
// it from the ConversationList model, chat-keys.ts takes the keys, chat-actions.ts runs typed
// lines, chat-events.ts follows ChatClient's events, peer-key-warnings.ts holds changed keys.
// It never talks to a socket, only to ChatClient.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import { formatAddress } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { Autojoin } from './autojoin.ts';
import { runChatLine, type ChatActionsHost } from './chat-actions.ts';
import { followChatClient, type ChatEventsHost } from './chat-events.ts';
import { ChatKeys, type ChatKeysHost } from './chat-keys.ts';
import { renderPendingFrame } from './frame-scheduler.ts';
import { ChatPanes } from './chat-panes.ts';
import type { TerminalConversations, TerminalPicture } from './chat-view.ts';
import { chatStatus, type ChatStatus } from '../shared/chat-status.ts';
import { fetchMembers, fileJoinReply, fileOlderPage, fileTransfer } from '../shared/chat-filing.ts';
import { ConversationList, roomKey, STATUS_KEY, type Tone } from '../shared/conversations.ts';
import { ownMessage } from '../shared/own-messages.ts';
import { PeerKeyWarnings, type KeyWarningsHost } from '../shared/peer-key-warnings.ts';
import { blessedDepth } from '../shared/color-depth.ts';
import { resolveTheme, type ThemeName } from '../shared/themes.ts';
import { downloadsFor, TransferBoard, type TransferPlace } from '../shared/transfer-board.ts';
import type { TransferLine } from './transfer-view.ts';
import type { LoginTarget, UiContext } from './ui-context.ts';

export class ChatRoom implements ChatEventsHost, ChatKeysHost, ChatActionsHost, KeyWarningsHost {
  readonly model: TerminalConversations;
  readonly status: ChatStatus;
  /** Names and rooms seen anywhere: for completion. */
  readonly knownUsers = new Set<string>();
  readonly knownRooms = new Set<string>();
  /** Files sent and received; their lines live in the conversations. */
  readonly transfers: TransferBoard;
  readonly panes: ChatPanes;
  /** Peers' changed keys: their warnings and /trust. */
  readonly keyWarnings = new PeerKeyWarnings(this);
  private readonly keys = new ChatKeys(this, (line) => runChatLine(this, line));
  /** The rooms to join again at the next login on this server. */
  private readonly autojoin: Autojoin;
  private readonly downloadsProblem: string | undefined;
  private loadingOlder = false;
  /** Where the user was when a reply took them to the status conversation: Esc goes back there. */
  returnTo: string | undefined;
  /** A drawing asked for by render(), done at the end of the turn. */
  private drawPending: NodeJS.Immediate | undefined;
  /** Stops the status bar's reconnect countdown; set once ChatClient's events are followed. */
  private stopCountdown = (): void => {};

  constructor(
    readonly ui: UiContext,
    readonly chat: ChatClient,
    target: LoginTarget,
  ) {
    this.model = new ConversationList<TerminalPicture>(chat.name, ui.options.keptEntries);
    this.model.openStatus(chat.server.name);
    this.status = chatStatus(chat, { address: formatAddress(target.host, target.port), trust: target.trust, hostedPassword: target.hosted?.password });
    this.autojoin = new Autojoin(ui.options.configDir);
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
    this.stopCountdown = followChatClient(this);
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
    await this.rejoinRemembered();
    model.select(roomKey('lobby'));
    this.here('Welcome. /help lists the commands; Ctrl-N/Ctrl-P switch conversations; PageUp scrolls back.', 'info');
    if (this.downloadsProblem !== undefined) this.notice(this.downloadsProblem, 'warning');
    this.render();
  }

  /** Joins (or creates) a room and puts it on screen with its history and members. */
  async openRoom(room: string, password?: string, create = false, secret = false): Promise<void> {
    const reply = create ? await this.chat.create(room, password, { secret }) : await this.chat.join(room, password);
    const conversation = fileJoinReply(this.model, this, reply, reply.secret === true || this.chat.isSecretRoom(reply.room));
    if (conversation.secret) this.keyWarnings.showIn(conversation.key);
    this.model.select(conversation.key);
    this.panes.follow = true;
    if (roomKey(reply.room) !== roomKey('lobby')) this.rememberRoom(reply.room, password);
    await this.refreshMembers(conversation.key);
  }

  /** Autojoin: the rooms joined here before, with their passwords; one that is gone is forgotten. */
  private async rejoinRemembered(): Promise<void> {
    for (const { room, password } of this.autojoin.rooms(this.status.address)) {
      if (roomKey(room) === roomKey('lobby') || this.model.get(roomKey(room))) continue;
      try {
        await this.openRoom(room, password);
      } catch (error) {
        const code = error instanceof ParlorError ? error.code : 'CONNECTION_FAILED';
        const gone = code === 'ROOM_NOT_FOUND';
        if (gone) this.forgetRoom(room);
        this.notice(`could not rejoin #${room}: ${code}: ${(error as Error).message}${gone ? ' (no longer rejoined)' : ''}`, 'error');
      }
    }
  }

  private rememberRoom(room: string, password: string | undefined): void {
    try {
      this.autojoin.remember(this.status.address, room, password);
    } catch (error) {
      this.notice(`could not remember #${room} for next time: ${(error as Error).message}`, 'warning');
    }
  }

  /** After /leave: the room is not joined again at the next start. */
  forgetRoom(room: string): void {
    try {
      this.autojoin.forget(this.status.address, room);
    } catch {
      // A read-only config dir: the room is rejoined next time, and /leave works again then.
    }
  }

  async refreshMembers(key: string): Promise<void> {
    if (await fetchMembers(this.model, this.chat, key)) this.render();
  }

  /**
   * A notice in the conversation it concerns; by default the status conversation, which counts it
   * as unread (an error or a warning as a mention) when it is not on screen.
   */
  notice(text: string, tone: Tone = 'info', key: string = STATUS_KEY): void {
    this.model.notice(key, text, tone);
    this.model.markUnread(key, tone === 'error' || tone === 'warning' || tone === 'alarm' || tone === 'announce');
    if (key === this.model.active) this.panes.follow = true;
    this.render();
  }

  /** A notice about the conversation on screen (a line that could not be sent, a failed /export). */
  here(text: string, tone: Tone = 'info'): void {
    this.notice(text, tone, this.model.active ?? STATUS_KEY);
  }

  /** The answer to a command that concerns no conversation: in the status conversation, shown. */
  reply(text: string, tone: Tone = 'info'): void {
    this.model.notice(STATUS_KEY, text, tone);
    if (this.model.active !== STATUS_KEY) this.returnTo = this.model.active;
    this.switchTo(STATUS_KEY);
  }

  /** Files a message this user sent (the server does not echo it back). */
  addOwn(message: DeliveredMessage): void {
    this.model.addMessage(ownMessage(this.chat, message));
    this.panes.follow = true;
    this.render();
  }

  switchTo(key: string): void {
    if (key !== STATUS_KEY) this.returnTo = undefined;
    this.model.select(key);
    this.panes.follow = true;
    this.render();
  }

  setTheme(name: ThemeName): void {
    this.ui.settings.theme = name;
    this.ui.theme = resolveTheme(name, this.ui.options.env, blessedDepth(this.ui.colorDepth));
    this.ui.saveSettings();
    this.panes.applyTheme();
    this.render();
  }

  destroy(): void {
    if (this.drawPending) clearImmediate(this.drawPending);
    this.drawPending = undefined;
    this.stopCountdown();
  }

  /** A transfer's line, once, in its conversation; an offer to answer counts as a mention. */
  private placeTransfer(where: TransferPlace, line: TransferLine, attention: boolean): void {
    const { conversation } = fileTransfer(this.model, where, line, attention);
    if (conversation.key === this.model.active) this.panes.follow = true;
    if (attention) this.ring(false);
  }

  keyChangeAlarm(): void {
    this.ring(true);
  }

  keyWarningsShown(follow: boolean): void {
    if (follow) this.panes.follow = true;
    this.render();
  }

  /** The terminal's bell: `always` for what must be heard whatever /bell says. */
  ring(always: boolean): void {
    if (always || this.ui.settings.bell !== 'off') this.ui.screen.program.output.write('\u0007');
  }

  /** Scrolled to the top: asks for the page before the oldest message shown. */
  async loadOlder(): Promise<void> {
    const conversation = this.model.current();
    if (!conversation?.more || this.loadingOlder) return;
    const before = this.model.oldestId(conversation.key);
    if (before === undefined) return;
    this.loadingOlder = true;
    try {
      const reply = await this.chat.history(conversation.kind === 'room' ? { room: conversation.name, before, limit: 50 } : { with: conversation.name, before, limit: 50 });
      this.flushRender();
      const height = this.panes.contentHeight();
      fileOlderPage(this.model, conversation, reply);
      this.renderNow();
      // Stay on the line that was at the top before the older page went in above it.
      this.panes.scrollTo(this.panes.contentHeight() - height);
      this.ui.screen.render();
    } catch (error) {
      this.notice(`could not load older messages: ${(error as Error).message}`, 'error', conversation.key);
    } finally {
      this.loadingOlder = false;
    }
  }

  /**
   * Asks for the panes to be drawn again from the model: once, at the end of this turn, however
   * many messages came in it (a burst read at once is one drawing, not one per message).
   */
  render(): void {
    this.drawPending ??= setImmediate(() => {
      this.drawPending = undefined;
      this.renderNow();
      // The end of this turn's changes: the screen's frame goes out with it.
      renderPendingFrame(this.ui.screen);
    });
  }

  /** Draws the panes now: for what reads them right after (the content's height, a scroll). */
  renderNow(): void {
    if (this.drawPending) clearImmediate(this.drawPending);
    this.drawPending = undefined;
    // Nothing more is drawn once the screen is given back (the UI quit, the SSH visitor left).
    if ((this.ui.screen as unknown as { destroyed?: boolean }).destroyed) return;
    this.status.transfers = this.transfers.counts();
    // Not the conversation on screen while the user reads back: its lines would move under them.
    this.model.trim(this.panes.follow ? undefined : this.model.active);
    this.panes.draw(this.model, this.status, this.keys.editor, this.chat.name);
  }

  /** A drawing asked for and not done yet is done now (before a key moves through the panes). */
  flushRender(): void {
    if (this.drawPending) this.renderNow();
  }
}
