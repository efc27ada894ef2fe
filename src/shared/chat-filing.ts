// How ChatClient's answers and events go into the conversations, the same in both UIs: a room
// joined with its history and members, an older page of history, someone joining or leaving,
// a file transfer's line, held messages opened after /trust.
// What each UI then shows or sends (a redraw, the page's events) stays with the UI.

import type { ChatClient } from '../client/chat-client.ts';
import type { OpenedHistory, OpenedJoin } from '../client/e2e/sealed-chat.ts';
import type { JoinedNotice } from '../client/chat-client-types.ts';
import type { LeftMessage } from '../protocol/messages.ts';
import { foldName } from '../protocol/names.ts';
import { departureWords } from '../protocol/operator-notices.ts';
import { roomKey, type Conversation, type ConversationList, type Entry, type PictureEntry } from './conversations.ts';
import { inertName } from './inert-text.ts';
import { notSealedText } from './notices.ts';
import type { TransferLine, TransferPlace } from './transfer-board.ts';

/** Names and rooms seen anywhere, for Tab completion. */
export interface KnownNames {
  readonly knownUsers: Set<string>;
  readonly knownRooms: Set<string>;
}

/**
 * A join (or create) reply: the room opened under the server's spelling, secret or not, with its
 * history in place, whether older messages remain, and its members (their times come with the
 * next member list).
 */
export function fileJoinReply<P extends PictureEntry>(model: ConversationList<P>, known: KnownNames, reply: OpenedJoin, secret: boolean): Conversation<P> {
  const conversation = model.open('room', reply.room);
  conversation.name = reply.room;
  // Before the history: its lines that were not sealed are marked by it.
  conversation.secret = secret;
  known.knownRooms.add(reply.room);
  for (const message of reply.history) model.addMessage(message, false);
  conversation.more = reply.more;
  if (reply.notSealedToYou > 0) model.notice(conversation.key, notSealedText(reply.notSealedToYou), 'info');
  model.setMembers(conversation.key, reply.members.map((name) => ({ name, lastMessageAt: null })));
  for (const name of reply.members) known.knownUsers.add(name);
  return conversation;
}

/** A room's members asked for again, with their last messages' times; false when there was no answer. */
export async function fetchMembers<P extends PictureEntry>(model: ConversationList<P>, chat: Pick<ChatClient, 'members'>, key: string): Promise<boolean> {
  const conversation = model.get(key);
  if (conversation?.kind !== 'room') return false;
  try {
    const reply = await chat.members(conversation.name);
    model.setMembers(key, reply.members);
    return true;
  } catch {
    // The member list is a convenience; the next join or leave refreshes it.
    return false;
  }
}

/** The page of history before the oldest message held, above it; `more` as the server says. */
export function fileOlderPage<P extends PictureEntry>(model: ConversationList<P>, conversation: Conversation<P>, reply: OpenedHistory): void {
  for (const message of reply.messages) model.addMessage(message, false);
  if (reply.notSealedToYou > 0) model.notice(conversation.key, notSealedText(reply.notSealedToYou), 'info', Date.now(), true);
  // An empty page with `more` would ask forever.
  conversation.more = reply.more && reply.messages.length > 0;
}

/**
 * Someone joined a room this user is in: a member now, and said there. The room's key, if joined.
 * Someone coming back after a restart (`returning`, from ChatClient) is a member again and not
 * said: the room fills up again without a "joined" line per person.
 */
export function fileJoined<P extends PictureEntry>(model: ConversationList<P>, known: Pick<KnownNames, 'knownUsers'>, event: Pick<JoinedNotice, 'room' | 'name'> & { returning?: boolean }): string | undefined {
  const key = roomKey(event.room);
  known.knownUsers.add(event.name);
  if (!model.get(key)) return undefined;
  model.memberJoined(key, event.name);
  if (event.returning !== true) model.notice(key, `${inertName(event.name)} joined #${inertName(event.room)}`, 'join');
  return key;
}

/** Someone left, was disconnected or was removed by an operator (said as a warning). The room's key, if joined. */
export function fileLeft<P extends PictureEntry>(model: ConversationList<P>, event: Pick<LeftMessage, 'room' | 'name' | 'reason' | 'moderation'>): string | undefined {
  const key = roomKey(event.room);
  if (!model.get(key)) return undefined;
  model.memberLeft(key, event.name);
  model.notice(key, departureWords({ ...event, name: inertName(event.name), room: inertName(event.room) }), event.moderation ? 'warning' : 'leave');
  return key;
}

/**
 * A transfer's line, once, in its conversation (changed in place as it moves): a file coming in
 * counts as unread off screen, an offer to answer as a mention.
 */
export function fileTransfer<P extends PictureEntry>(model: ConversationList<P>, where: TransferPlace, line: TransferLine, attention: boolean): { conversation: Conversation<P>; entry: Entry<P> } {
  const conversation = 'room' in where ? model.open('room', where.room) : model.open('dm', where.with);
  const entry: Entry<P> = { kind: 'transfer', ts: Date.now(), line };
  model.add(conversation.key, entry);
  if (line.direction === 'receive') model.markUnread(conversation.key, attention);
  return { conversation, entry };
}

/** The ids of `name`'s messages held in a conversation because their key changed (E2E_PEER_KEY_CHANGED). */
export function heldMessageIds(conversation: Conversation<PictureEntry>, name: string): number[] {
  const folded = foldName(name);
  const held: number[] = [];
  for (const entry of conversation.entries) {
    if (entry.kind !== 'message') continue;
    const { e2e, from, id } = entry.message;
    if (e2e?.state === 'rejected' && e2e.code === 'E2E_PEER_KEY_CHANGED' && foldName(from) === folded) held.push(id);
  }
  return held;
}

/**
 * After /trust: the held messages fetched again and, those that open now, put in their place.
 * Returns how many opened; throws what the history request threw.
 */
export async function reopenHeld<P extends PictureEntry>(model: ConversationList<P>, chat: Pick<ChatClient, 'history'>, conversation: Conversation<P>, held: readonly number[]): Promise<number> {
  if (held.length === 0 || conversation.kind === 'status') return 0;
  const where = conversation.kind === 'room' ? { room: conversation.name } : { with: conversation.name };
  // Ids are global, so the span of ids bounds how many messages lie between them.
  const newest = Math.max(...held);
  const reply = await chat.history({ ...where, before: newest + 1, limit: Math.min(500, newest - Math.min(...held) + 1) });
  let opened = 0;
  for (const message of reply.messages) if (held.includes(message.id) && message.e2e?.state !== 'rejected' && model.replaceMessage(conversation.key, message)) opened++;
  return opened;
}

/** What /trust says in each conversation it concerns. */
export function trustedText(name: string, fingerprint: string, held: number, opened: number): string {
  const heldText = held === 0 ? '' : `\n${opened} of ${held} held message${held === 1 ? '' : 's'} opened`;
  return `you now trust ${name}'s key ${fingerprint}${heldText}`;
}
