// Stored messages as a reader may see them: pages of a room's or a user's direct history, with
// what the reader's blocks hide left out, and each message in its wire form with display names.

import type { ChatMessage } from '../protocol/messages.ts';
import { sshHeldKeys } from './keys.ts';
import type { ChatStore, StoredMessage } from '../store/store.ts';
import type { BlockList } from './block-list.ts';
import type { RoomDirectory } from './room-directory.ts';

export interface Page {
  messages: ChatMessage[];
  more: boolean;
}

export interface PageQuery {
  before?: number | undefined;
  after?: number | undefined;
  limit: number;
}

export class HistoryReader {
  /** Display names by key, so delivering a message never asks the store who sent it. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly store: ChatStore,
    private readonly blocks: BlockList,
    private readonly rooms: RoomDirectory,
  ) {}

  /** A user's current display name (at login: the name may have changed case since last time). */
  rememberName(key: string, name: string): void {
    this.names.set(key, name);
  }

  /** A page of a room's history as the reader may see it (no messages from blocked users). */
  roomPage(roomKey: string, reader: string, query: PageQuery): Page {
    const rows = this.store.roomHistory(roomKey, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(reader, row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  /** A page of the direct messages to and from a user, without those of users blocked either way. */
  directPage(user: string, query: PageQuery): Page {
    const rows = this.store.directHistory(user, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(user, row.from === user ? row.to! : row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  /** A page of one conversation: the direct messages between the reader and one other user. */
  conversationPage(user: string, other: string, query: PageQuery): Page {
    const rows = this.store.conversationHistory(user, other, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = this.blocks.between(user, other) ? [] : rows.slice(more ? 1 : 0);
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  toWire(message: StoredMessage): ChatMessage {
    const from = this.displayName(message.from);
    const sealed = message.sealed === undefined ? {} : { sealed: message.sealed };
    if (message.room !== null) {
      const ssh = this.overSsh(message.from) ? { sshUser: from } : {};
      return { type: 'message', id: message.id, room: this.rooms.nameOf(message.room), from, text: message.text, ts: message.ts, ...sealed, ...ssh };
    }
    const to = this.displayName(message.to!);
    const ssh = this.overSsh(message.from) ? { sshUser: from } : this.overSsh(message.to!) ? { sshUser: to } : {};
    return { type: 'message', id: message.id, to, from, text: message.text, ts: message.ts, ...sealed, ...ssh };
  }

  /** Whether a user's key is one the SSH front door holds (keys.ts): that user is over ssh. */
  private overSsh(key: string): boolean {
    if (sshHeldKeys.size === 0) return false;
    const fingerprint = this.store.getUser(key)?.fingerprint;
    return fingerprint !== undefined && sshHeldKeys.has(fingerprint);
  }

  private displayName(key: string): string {
    let name = this.names.get(key);
    if (name === undefined) {
      name = this.store.getUser(key)?.name ?? key;
      this.names.set(key, name);
    }
    return name;
  }
}
