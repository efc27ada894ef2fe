// What the chat room shows, in either UI: the conversations (the status one, rooms joined and
// direct messages), each with its entries in message-id order, unread counts, members and whether
// older history remains. The terminal UI draws its panes from this; the web client turns its
// changes into the page's events (src/web/web-chat.ts). Tests drive it with plain messages.

import { e2eOf, type DeliveredMessage } from '../client/e2e/e2e.ts';
import { foldName } from '../protocol/names.ts';
import type { ExportLine } from './export.ts';
import { inertName } from './inert-text.ts';
import { mentions } from './mentions.ts';
import type { TransferLine } from './transfer-board.ts';

/** `alarm`: a security warning (a peer's key changed), drawn loud; `announce`: an operator's !announce. */
export type Tone = 'info' | 'error' | 'join' | 'leave' | 'warning' | 'alarm' | 'announce';

/**
 * The bot's picture: where it was saved, and what each UI needs to show it (the terminal its
 * rows of cells, the page the number it fetches it by).
 */
export interface PictureEntry {
  kind: 'image';
  ts: number;
  command: string;
  path: string;
}

export type Entry<Picture extends PictureEntry = PictureEntry> =
  /** A message as ChatClient delivers it: sealed ones carry `e2e` (verified, rejected, or not sealed to us). */
  | {
      kind: 'message';
      message: DeliveredMessage;
      mention: boolean;
      /** In a direct conversation or a secret room, a line that was not sealed: shown as not end-to-end. */
      notEndToEnd?: boolean;
    }
  /** A line of the client's own (results of /users, errors, presence); may quote network text. */
  | { kind: 'notice'; ts: number; text: string; tone: Tone }
  /** The bot's answer: seen by this user alone; `link` for !enlightenme where the UI opens it itself. */
  | { kind: 'bot'; ts: number; command: string; text: string; link?: string }
  | Picture
  /** A file transfer: the line is updated in place as it goes (transfer-board.ts). */
  | { kind: 'transfer'; ts: number; line: TransferLine };

export interface Member {
  name: string;
  lastMessageAt: number | null;
}

export interface Conversation<Picture extends PictureEntry = PictureEntry> {
  key: string;
  /** `status`: the server's own conversation, for what concerns no room or person (as irssi's status window). */
  kind: 'room' | 'dm' | 'status';
  /** As the server spells it: a room name, the other user's name, or (status) the server's name. */
  name: string;
  entries: Array<Entry<Picture>>;
  unread: number;
  mentioned: boolean;
  /** By folded name; changed only through ConversationList (memberJoined, memberLeft, setMembers), which counts each change. */
  members: ReadonlyMap<string, Member>;
  /**
   * Goes up at each join, leave or new list: the member list is drawn at every message of every
   * screen and keeps its sorted order until this changes (members.ts). A member's lastMessageAt
   * changes in place without it.
   */
  membersVersion: number;
  /** The server has older messages than the oldest shown. */
  more: boolean;
  ids: Set<number>;
  /** End-to-end: a secret room, or (always) a direct conversation. */
  secret: boolean;
}

/** Where addMessage filed a message. `direct`: a DM, which counts as a mention for the bell. */
export interface Filed<Picture extends PictureEntry = PictureEntry> {
  conversation: Conversation<Picture>;
  entry: Entry<Picture>;
  mention: boolean;
  direct: boolean;
}

export const STATUS_KEY = 'status';

/** The order of the room list: the status conversation, rooms, direct conversations. */
const LISTED_KINDS = ['status', 'room', 'dm'] as const;

export function roomKey(room: string): string {
  return `room:${foldName(room.replace(/^#/, ''))}`;
}

export function dmKey(user: string): string {
  return `dm:${foldName(user.replace(/^@/, ''))}`;
}

/** "#room", "@name" or "(status)": in headers, notices and /export, the names made inert. */
export function conversationTitle(conversation: Pick<Conversation, 'kind' | 'name'>): string {
  if (conversation.kind === 'status') return '(status)';
  return conversation.kind === 'room' ? `#${inertName(conversation.name)}` : `@${inertName(conversation.name)}`;
}

export class ConversationList<Picture extends PictureEntry = PictureEntry> {
  private readonly byKey = new Map<string, Conversation<Picture>>();
  active: string | undefined;

  constructor(
    public selfName: string,
    /** Entries kept per conversation (trim); all by default. */
    private readonly keptEntries = Infinity,
  ) {}

  /**
   * Forgets the oldest entries of conversations that hold more than keptEntries, down to three
   * quarters of it (so this is paid once per quarter, not at every message); a message forgotten
   * can be asked for again (`more`). Not `except`'s: the one on screen while the user reads back.
   */
  trim(except?: string): void {
    for (const conversation of this.byKey.values()) {
      if (conversation.entries.length <= this.keptEntries || conversation.key === except) continue;
      const forgotten = conversation.entries.splice(0, conversation.entries.length - Math.floor((this.keptEntries * 3) / 4));
      for (const entry of forgotten) {
        if (entry.kind !== 'message') continue;
        conversation.ids.delete(entry.message.id);
        conversation.more = true;
      }
    }
  }

  /**
   * The status conversation, the rooms, then direct messages, each in the order they were opened:
   * the order of the list on screen, and the order Ctrl-N walks (wrapping from the last DM to status).
   */
  list(): Array<Conversation<Picture>> {
    // Status, then rooms, then direct ones, each in the order opened (drawn at every message of
    // every SSH visitor's screen: plain loops rather than flatMap and filters).
    const listed: Array<Conversation<Picture>> = [];
    for (const kind of LISTED_KINDS) for (const conversation of this.byKey.values()) if (conversation.kind === kind) listed.push(conversation);
    return listed;
  }

  /** The server's status conversation: there from the start, never closed. */
  openStatus(serverName: string): Conversation<Picture> {
    const status = this.byKey.get(STATUS_KEY) ?? { key: STATUS_KEY, kind: 'status' as const, name: serverName, entries: [], unread: 0, mentioned: false, members: new Map(), membersVersion: 0, more: false, ids: new Set<number>(), secret: false };
    this.byKey.set(STATUS_KEY, status);
    this.active ??= STATUS_KEY;
    return status;
  }

  get(key: string): Conversation<Picture> | undefined {
    return this.byKey.get(key);
  }

  current(): Conversation<Picture> | undefined {
    return this.active === undefined ? undefined : this.byKey.get(this.active);
  }

  open(kind: 'room' | 'dm', name: string): Conversation<Picture> {
    const key = kind === 'room' ? roomKey(name) : dmKey(name);
    let conversation = this.byKey.get(key);
    if (!conversation) {
      conversation = { key, kind, name: name.replace(/^[#@]/, ''), entries: [], unread: 0, mentioned: false, members: new Map(), membersVersion: 0, more: false, ids: new Set(), secret: kind === 'dm' };
      this.byKey.set(key, conversation);
      this.active ??= key;
    }
    return conversation;
  }

  /** Closes a room or DM; the selection moves to its neighbour in the list (status only when nothing else is left). */
  close(key: string): void {
    if (key === STATUS_KEY) return;
    const before = this.list().filter((c) => c.kind !== 'status');
    const at = before.findIndex((c) => c.key === key);
    this.byKey.delete(key);
    if (this.active !== key) return;
    const next = before[at - 1] ?? before[at + 1];
    this.active = next?.key ?? this.list()[0]?.key;
  }

  select(key: string): void {
    const conversation = this.byKey.get(key);
    if (!conversation) return;
    this.active = key;
    conversation.unread = 0;
    conversation.mentioned = false;
  }

  /** Moves the selection by `step` through the list, wrapping. */
  cycle(step: number): void {
    const list = this.list();
    if (list.length === 0) return;
    const at = Math.max(0, list.findIndex((c) => c.key === this.active));
    this.select(list[(at + step + list.length) % list.length]!.key);
  }

  /**
   * Files a message in its conversation, once, in id order. Live messages from others count as
   * unread when their conversation is not on screen. Returns where it went and its entry, or
   * undefined for a duplicate.
   */
  addMessage(message: DeliveredMessage, live = true): Filed<Picture> | undefined {
    const direct = message.room === undefined;
    const own = foldName(message.from) === foldName(this.selfName);
    const conversation = direct ? this.open('dm', own ? (message.to ?? message.from) : message.from) : this.open('room', message.room!);
    if (conversation.ids.has(message.id)) return undefined;
    conversation.ids.add(message.id);
    const mention = !own && mentions(message.text, this.selfName);
    const entry: Entry<Picture> = { kind: 'message', message, mention, notEndToEnd: conversation.secret && e2eOf(message).state === 'none' };
    // Live messages come in order and are appended; history is put in its place among messages.
    const at = live ? -1 : conversation.entries.findIndex((e) => e.kind === 'message' && e.message.id > message.id);
    if (at < 0) conversation.entries.push(entry);
    else conversation.entries.splice(at, 0, entry);
    const member = conversation.members.get(foldName(message.from));
    if (member && (member.lastMessageAt ?? 0) < message.ts) member.lastMessageAt = message.ts;
    if (live && !own && this.active !== conversation.key) {
      conversation.unread++;
      if (mention || direct) conversation.mentioned = true;
    }
    return { conversation, entry, mention, direct };
  }

  /** A notice in `key`'s conversation (the one on screen without a key); the entry, if there was one. */
  notice(key: string | undefined, text: string, tone: Tone = 'info', ts = Date.now(), atTop = false): Entry<Picture> | undefined {
    const conversation = key === undefined ? this.current() : this.byKey.get(key);
    if (!conversation) return undefined;
    const entry: Entry<Picture> = { kind: 'notice', ts, text, tone };
    if (atTop) conversation.entries.unshift(entry);
    else conversation.entries.push(entry);
    return entry;
  }

  /** Something in `key`'s conversation asks to be seen: counted unread when it is not on screen. */
  markUnread(key: string, mention: boolean): void {
    const conversation = this.byKey.get(key);
    if (!conversation || key === this.active) return;
    conversation.unread++;
    conversation.mentioned ||= mention;
  }

  /**
   * Puts a message in place of the one with its id (a held message opened after /trust).
   * Returns whether there was one to replace.
   */
  replaceMessage(key: string, message: DeliveredMessage): boolean {
    const conversation = this.byKey.get(key);
    const at = conversation?.entries.findIndex((e) => e.kind === 'message' && e.message.id === message.id) ?? -1;
    if (!conversation || at < 0) return false;
    conversation.entries[at] = {
      kind: 'message',
      message,
      mention: mentions(message.text, this.selfName) && foldName(message.from) !== foldName(this.selfName),
      notEndToEnd: conversation.secret && e2eOf(message).state === 'none',
    };
    return true;
  }

  /** Adds an entry at the end of `key`'s conversation (the one on screen without a key); false without one. */
  add(key: string | undefined, entry: Entry<Picture>): boolean {
    const conversation = key === undefined ? this.current() : this.byKey.get(key);
    conversation?.entries.push(entry);
    return conversation !== undefined;
  }

  setMembers(key: string, members: readonly Member[]): void {
    const conversation = this.byKey.get(key);
    if (!conversation) return;
    conversation.members = new Map(members.map((m) => [foldName(m.name), { ...m }]));
    conversation.membersVersion++;
  }

  /** `name` is in the room now (as before, if it was already). */
  memberJoined(key: string, name: string): void {
    const conversation = this.byKey.get(key);
    if (!conversation || conversation.members.has(foldName(name))) return;
    // Changed in place, not copied: a copy at every join was a room's size of garbage per screen
    // (200 SSH visitors joining: ~0.3 MiB more per idle session).
    (conversation.members as Map<string, Member>).set(foldName(name), { name, lastMessageAt: null });
    conversation.membersVersion++;
  }

  memberLeft(key: string, name: string): void {
    const conversation = this.byKey.get(key);
    if (!conversation || !(conversation.members as Map<string, Member>).delete(foldName(name))) return;
    conversation.membersVersion++;
  }

  oldestId(key: string): number | undefined {
    const ids = this.byKey.get(key)?.ids;
    return ids && ids.size > 0 ? Math.min(...ids) : undefined;
  }

  /** The messages of a conversation, for /export. */
  exportLines(key: string): ExportLine[] {
    const conversation = this.byKey.get(key);
    if (!conversation) return [];
    return conversation.entries.flatMap((entry) => {
      if (entry.kind !== 'message') return [];
      const { message } = entry;
      // Messages this client could not read are left out, or named as what they are.
      if (message.e2e?.state === 'not-sealed-to-you') return [];
      const text = message.e2e?.state === 'rejected' ? `[could not be verified: ${message.e2e.code}]` : message.text;
      return [{ ts: message.ts, from: message.from, text }];
    });
  }
}
