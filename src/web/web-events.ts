// What ChatClient tells the web client's chat room as it happens: messages (with a desktop
// notification as /bell says), a peer's changed key (the loud warning), joins and leaves,
// announcements, and the connection's state for the status line.

import { fileJoined, fileLeft } from '../shared/chat-filing.ts';
import { followConnection } from '../shared/chat-status.ts';
import type { WebChat } from './web-chat.ts';

export function followChatClient(room: WebChat): void {
  const { chat, model } = room;
  followConnection(chat, room.status);
  chat.on('message', (message) => {
    const filed = room.addMessage(message);
    if (filed) room.ring(message.room === undefined ? `${message.from} (direct)` : `${message.from} in #${message.room}`, message.text.slice(0, 200), filed.mention || filed.direct);
  });
  // Deferred a turn, so the warning lands after the message or join that revealed the change.
  chat.on('peerKeyChanged', (change) => setImmediate(() => room.keyWarnings.changed(change)));
  chat.on('joined', (event) => {
    if (fileJoined(model, room, event) !== undefined) room.changed();
  });
  chat.on('left', (event) => {
    if (fileLeft(model, event) !== undefined) room.changed();
  });
  chat.on('announcement', (event) => {
    for (const { key } of model.list()) room.notice(`announcement from ${event.from}: ${event.text}`, 'warning', key);
    room.session.broadcast({ type: 'notify', title: `announcement from ${event.from}`, body: event.text.slice(0, 200) });
  });
  chat.on('disconnected', ({ reason }) => {
    room.notice(`connection lost (${reason.code}); reconnecting`, 'warning');
    room.changed();
  });
  chat.on('reconnecting', () => room.changed());
  chat.on('reconnected', () => {
    room.notice('reconnected; anything missed is shown above', 'info');
    for (const conversation of model.list()) void room.refreshMembers(conversation.key);
    room.changed();
  });
  chat.on('closed', ({ reason }) => {
    room.notice(`disconnected for good: ${reason.code}: ${reason.message}`, 'error');
    room.changed();
  });
}
