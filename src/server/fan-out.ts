// A committed message to the sessions of this server that should see it: a room's members who
// have not blocked its sender (nor been blocked), a direct message's two people, never the
// session that sent it. With a store that several servers share, every message (this server's
// too) arrives through the store's feed, in the chat's one id order: this server's own are
// remembered by id with the session that sent it until then.

import { encodeJsonRecord } from '../protocol/records.ts';
import type { ChatStore, StoredMessage } from '../store/store.ts';
import type { BlockList } from './block-list.ts';
import type { HistoryReader } from './history-reader.ts';
import type { Presence } from './presence.ts';
import type { RoomDirectory } from './room-directory.ts';
import type { Session } from './session.ts';

export class FanOut {
  /**
   * With a shared store: the session each of this server's commits came from, and its ack, until
   * the feed delivers it. The ack waits for that too, so that it reaches its sender after every
   * message before it (a client takes an acked id as "seen up to here": reconnect.ts).
   */
  private readonly origins = new Map<number, { origin: Session; ack: () => void }>();

  constructor(
    private readonly store: ChatStore,
    private readonly rooms: RoomDirectory,
    private readonly online: Presence,
    private readonly blocks: BlockList,
    private readonly reader: HistoryReader,
  ) {
    store.feed?.subscribe((messages) => {
      for (const message of messages) {
        const own = this.origins.get(message.id);
        this.origins.delete(message.id);
        own?.ack();
        this.deliver(message, own?.origin);
      }
    });
  }

  /** A message this server committed: acknowledged and delivered now, or when the feed hands it over. */
  committed(stored: StoredMessage, origin: Session, ack: () => void): void {
    if (this.store.feed) {
      this.origins.set(stored.id, { origin, ack });
      return;
    }
    ack();
    this.deliver(stored, origin);
  }

  private deliver(stored: StoredMessage, origin: Session | undefined): void {
    // Encoded once for every reader: the records share one buffer.
    const record = encodeJsonRecord(this.reader.toWire(stored));
    if (stored.room !== null) {
      const current = this.rooms.get(stored.room);
      if (!current) return;
      // Who joined or left goes before what they said (room-notices.ts).
      this.rooms.flushNotices(current);
      for (const member of current.members) {
        if (member !== origin && !this.blocks.between(member.user!.key, stored.from)) member.sendRecord(record, true);
      }
      return;
    }
    const people = stored.to === stored.from ? [stored.to!] : [stored.to!, stored.from];
    for (const key of people) for (const live of this.online.sessionsOf(key)) if (live !== origin) live.sendRecord(record);
  }
}
