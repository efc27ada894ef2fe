// What this user says, in either UI: sent through ChatClient and filed in its conversation at
// once, since the server does not echo a sender's own message back. A line this client sealed
// itself (every DM, a secret room's lines) is end to end at its own time; a DM with someone over
// ssh went in clear (SealedChat.dm), and says why.

import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage, E2eStatus } from '../client/e2e/e2e.ts';
import { roomKey, type Conversation, type ConversationList, type PictureEntry } from './conversations.ts';

/** What saying something needs of a chat room. */
export interface SayingHost {
  readonly chat: Pick<ChatClient, 'name' | 'fingerprint' | 'say' | 'dm' | 'isSecretRoom'>;
  readonly model: ConversationList<PictureEntry>;
  readonly knownUsers: Set<string>;
  openRoom(room: string): Promise<void>;
  /** Files a message this user sent (ownMessage's), and shows it. */
  addOwn(message: DeliveredMessage): void;
}

/** A message this user sent, with the end-to-end state it had when it left. */
export function ownMessage(chat: Pick<ChatClient, 'fingerprint' | 'isSecretRoom'>, message: DeliveredMessage): DeliveredMessage {
  const sealed = message.sshUser === undefined && (message.room === undefined || chat.isSecretRoom(message.room));
  const e2e: E2eStatus = sealed
    ? { state: 'verified', fingerprint: chat.fingerprint, sentAt: message.ts, timeMismatch: false }
    : { state: 'none', ...(message.sshUser !== undefined && { sshUser: message.sshUser }) };
  return { ...message, e2e };
}

/** A line said in a room or direct conversation (the one on screen; never the status one, which each UI answers itself). */
export async function sayIn(host: SayingHost, conversation: Conversation<PictureEntry>, text: string): Promise<void> {
  const { chat } = host;
  if (conversation.kind === 'room') {
    const ack = await chat.say(conversation.name, text);
    return host.addOwn({ type: 'message', id: ack.id, ts: ack.ts, room: conversation.name, from: chat.name, text });
  }
  await sayTo(host, conversation.name, text);
}

/** /msg USER TEXT and @USER TEXT: returns the direct conversation's key, for the UI to show it. */
export async function sayTo(host: SayingHost, to: string, text: string): Promise<string> {
  const { chat } = host;
  const ack = await chat.dm(to, text);
  const conversation = host.model.open('dm', ack.to);
  host.addOwn({ type: 'message', id: ack.id, ts: ack.ts, to: ack.to, from: chat.name, text, ...(ack.sshUser !== undefined && { sshUser: ack.sshUser }) });
  host.knownUsers.add(ack.to);
  return conversation.key;
}

/** /group ROOM TEXT: the room joined first when this user is not in it. */
export async function sayInRoom(host: SayingHost, room: string, text: string): Promise<void> {
  const { chat, model } = host;
  if (!model.get(roomKey(room))) await host.openRoom(room);
  const ack = await chat.say(room, text);
  host.addOwn({ type: 'message', id: ack.id, ts: ack.ts, room: model.get(roomKey(room))?.name ?? room, from: chat.name, text });
}
