// Stored messages as a reader may see them: pages of a room's or a user's direct history, with
// what the reader's blocks hide left out, and each message in its wire form with display names.

import type { ChatMessage } from '../protocol/messages.ts';
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
  async roomPage(roomKey: string, reader: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.roomHistory(roomKey, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(reader, row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  /** A page of the direct messages to and from a user, without those of users blocked either way. */
  async directPage(user: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.directHistory(user, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = rows.slice(more ? 1 : 0).filter((row) => !this.blocks.between(user, row.from === user ? row.to! : row.from));
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  /** A page of one conversation: the direct messages between the reader and one other user. */
  async conversationPage(user: string, other: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.conversationHistory(user, other, { ...query, limit: query.limit + 1 });
    const more = rows.length > query.limit;
    const visible = this.blocks.between(user, other) ? [] : rows.slice(more ? 1 : 0);
    return { messages: visible.map((row) => this.toWire(row)), more };
  }

  toWire(message: StoredMessage): ChatMessage {
    const from = this.displayName(message.from);
    const sealed = message.sealed === undefined ? {} : { sealed: message.sealed };
    if (message.room !== null) {
      return { type: 'message', id: message.id, room: this.rooms.nameOf(message.room), from, text: message.text, ts: message.ts, ...sealed };
    }
    return { type: 'message', id: message.id, to: this.displayName(message.to!), from, text: message.text, ts: message.ts, ...sealed };
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
