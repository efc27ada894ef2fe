// What ChatClient tells the chat room as it happens: messages (with the bell as /bell says), a
// peer's changed key, joins and leaves, announcements, and the connection's state for the status
// bar, which counts down each second to the next attempt while it reconnects.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import { releaseWords } from '../protocol/operator-notices.ts';
import { fileJoined, fileLeft } from '../shared/chat-filing.ts';
import { STATUS_KEY, type ConversationList, type Tone } from '../shared/conversations.ts';
import { followConnection, type ChatStatus } from '../shared/chat-status.ts';
import type { PeerKeyWarnings } from '../shared/peer-key-warnings.ts';
import type { UiContext } from './ui-context.ts';

/** What following ChatClient needs of the chat room: where events are filed and shown. */
export interface ChatEventsHost {
  readonly chat: ChatClient;
  readonly model: ConversationList;
  readonly status: ChatStatus;
  readonly knownUsers: Set<string>;
  readonly keyWarnings: Pick<PeerKeyWarnings, 'changed'>;
  readonly ui: Pick<UiContext, 'settings'>;
  notice(text: string, tone?: Tone): void;
  here(text: string, tone?: Tone): void;
  ring(always: boolean): void;
  refreshMembers(key: string): Promise<void>;
  render(): void;
}

/** Puts ChatClient's events in the room; returns what stops the reconnect countdown. */
export function followChatClient(room: ChatEventsHost): () => void {
  const { chat, model, status } = room;
  let countdown: NodeJS.Timeout | undefined;
  const stopCountdown = () => {
    if (countdown) clearInterval(countdown);
    countdown = undefined;
  };
  /** Said in the status conversation, and in the conversation on screen too, so that it is seen. */
  const sayOnScreenToo = (text: string, tone: Tone, ts?: number): void => {
    if (model.active !== undefined && model.active !== STATUS_KEY) model.notice(model.active, text, tone, ts);
    room.notice(text, tone);
  };
  followConnection(chat, status);
  if (chat.released) model.notice(undefined, releaseWords(chat.name, chat.released), 'warning');
  chat.on('message', (message) => fileMessage(room, message));
  // Deferred a turn: the message or join that revealed the change is filed first, so the
  // warning lands in the conversation it concerns.
  chat.on('peerKeyChanged', (change) => setImmediate(() => room.keyWarnings.changed(change)));
  chat.on('joined', (event) => {
    if (fileJoined(model, room, event) !== undefined) room.render();
  });
  chat.on('left', (event) => {
    fileLeft(model, event);
    room.render();
  });
  chat.on('announcement', (event) => {
    // It rings as a mention does (/bell mentions or all).
    sayOnScreenToo(`announcement from ${event.from}: ${event.text}`, 'announce', event.ts);
    room.ring(false);
  });
  chat.on('disconnected', ({ reason }) => {
    // The server's own words first (SERVER_SHUTDOWN: "ada stopped the server").
    model.notice(undefined, `connection lost (${reason.code}): ${reason.message}; reconnecting`, 'warning');
    room.render();
  });
  chat.on('reconnecting', () => {
    countdown ??= setInterval(() => room.render(), 1000);
    room.render();
  });
  chat.on('reconnected', () => {
    stopCountdown();
    // Said where the user is looking, as the loss was.
    sayOnScreenToo('reconnected; anything missed is in its conversation', 'info');
    for (const conversation of model.list()) if (conversation.kind === 'room') void room.refreshMembers(conversation.key);
    room.render();
  });
  chat.on('closed', ({ reason }) => {
    stopCountdown();
    // The end concerns every conversation: said where the user is looking, beside what led to it
    // (the bot's "bye" after !exit), and kept in the status conversation.
    const words = `disconnected for good: ${reason.code}: ${reason.message}\nPress Ctrl-C to leave.`;
    room.notice(words, 'error');
    if (model.active !== undefined && model.active !== STATUS_KEY) room.here(words, 'error');
  });
  return stopCountdown;
}

function fileMessage(room: ChatEventsHost, message: DeliveredMessage): void {
  const filed = room.model.addMessage(message);
  if (!filed) return;
  room.knownUsers.add(message.from);
  const { bell } = room.ui.settings;
  if (bell === 'all' || (bell === 'mentions' && (filed.mention || filed.direct))) room.ring(false);
  room.render();
}
