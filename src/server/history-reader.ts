// Stored messages as a reader may see them: pages of a room's or a user's direct history, with
// what the reader's blocks hide left out, and each message in its wire form with display names.

import type { ChatMessage } from '../protocol/messages.ts';
import { sshHeldKeys } from './keys.ts';
import { messageBytes, type ChatStore, type HistoryQuery, type StoredMessage } from '../store/store.ts';
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
  /**
   * The most bytes the page's messages may take in the reply, as JSON: a reply that must fit the
   * reader's outbound cap gets fewer messages (and `more`), never an overflow (issue 17, item 1).
   */
  maxBytes: number;
}

export class HistoryReader {
  /** Display names by key, so delivering a message never asks the store who sent it. */
  private readonly names = new Map<string, string>();

  constructor(
    private readonly store: ChatStore,
    private readonly blocks: BlockList,
    private readonly rooms: RoomDirectory,
    /** Whether an SSH front door holds the key (this server's, or another of the chat's: keys.ts). */
    private readonly heldOverSsh: (fingerprint: string) => boolean,
  ) {}

  /**
   * With a shared store, for a session that receives live messages from now on: the first id that
   * comes live rather than in its history page (the feed may be behind the table, and a message
   * must not reach it twice). Undefined for a store that delivers at its commit.
   */
  firstLiveId(): number | undefined {
    const delivered = this.store.feed?.lastDelivered();
    return delivered === undefined ? undefined : delivered + 1;
  }

  /** A user's current display name (at login: the name may have changed case since last time). */
  rememberName(key: string, name: string): void {
    this.names.set(key, name);
  }

  /** A page of a room's history as the reader may see it (no messages from blocked users). */
  async roomPage(roomKey: string, reader: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.roomHistory(roomKey, this.storeQuery(query));
    return this.page(rows, query, (row) => !this.blocks.between(reader, row.from));
  }

  /** A page of the direct messages to and from a user, without those of users blocked either way. */
  async directPage(user: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.directHistory(user, this.storeQuery(query));
    return this.page(rows, query, (row) => !this.blocks.between(user, row.from === user ? row.to! : row.from));
  }

  /** One row more than the page holds, by count or by bytes: that one says whether there is more. */
  private storeQuery(query: PageQuery): HistoryQuery {
    return { ...query, limit: query.limit + 1 };
  }

  /** The newest rows that fit the page's count and its bytes as sent; older ones are left for `more`. */
  private page(rows: StoredMessage[], query: PageQuery, visible: (row: StoredMessage) => boolean): Page {
    // The store stopped early at the count (one row more) or at its byte estimate: either way,
    // there may be older messages.
    let more = rows.length > query.limit || rows.reduce((sum, row) => sum + messageBytes(row), 0) > query.maxBytes;
    const messages = rows.slice(rows.length > query.limit ? 1 : 0).filter(visible).map((row) => this.toWire(row));
    // Cut to the bytes each message really takes as JSON (escapes and names included).
    let bytes = 0;
    let start = messages.length;
    while (start > 0) {
      const size = Buffer.byteLength(JSON.stringify(messages[start - 1]));
      if (bytes + size > query.maxBytes) break;
      bytes += size;
      start--;
    }
    if (start > 0) more = true;
    return { messages: messages.slice(start), more };
  }

  /** A page of one conversation: the direct messages between the reader and one other user. */
  async conversationPage(user: string, other: string, query: PageQuery): Promise<Page> {
    const rows = await this.store.conversationHistory(user, other, this.storeQuery(query));
    const blocked = this.blocks.between(user, other);
    return this.page(rows, query, () => !blocked);
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
    // No front door here, and no other server to have one: nobody is over ssh (the usual case, cheap).
    if (sshHeldKeys.size === 0 && !this.store.cluster) return false;
    const fingerprint = this.store.getUser(key)?.fingerprint;
    return fingerprint !== undefined && this.heldOverSsh(fingerprint);
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
