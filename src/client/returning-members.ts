// Who is coming back, rather than arriving: when the connection drops (a server restart, most
// often), the people in each room are noted, and a joined notice for one of them soon after this
// client is back is marked `returning`. After a restart every member of a room is told of every
// other coming back, one by one; the UIs show those as the room filling up again, not as fifty
// "ada joined" lines. Someone new, or someone back long after, is a join as ever.

import { foldName } from '../protocol/names.ts';
import { RETURNING_WINDOW_MS } from '../options.ts';

export class ReturningMembers {
  /** Who was in each room when the connection dropped: folded room name → folded member names. */
  private before: ReadonlyMap<string, ReadonlyMap<string, unknown>> = new Map();
  /** Those of them already back ("room\0name", folded): each comes back once. */
  private back = new Set<string>();
  /** Until when (ms since the epoch) a joined notice of someone noted counts as coming back. */
  private until = Number.POSITIVE_INFINITY;

  constructor(private readonly windowMs = RETURNING_WINDOW_MS) {}

  /**
   * The connection dropped: who was in each room then, by folded room and member names
   * (RoomMembers.snapshot, not copied: a drop must cost nothing per member, as 2,000 clients
   * dropped at once by a restart share their machine's time in the reconnect storm).
   */
  dropped(rooms: ReadonlyMap<string, ReadonlyMap<string, unknown>>): void {
    this.before = rooms;
    this.back = new Set();
    this.until = Number.POSITIVE_INFINITY;
  }

  /** This client is back: those noted who come back within the window are returning. */
  reconnected(now = Date.now()): void {
    this.until = now + this.windowMs;
  }

  /** A joined notice: true once for someone who was in the room at the drop, back in time. */
  returning(room: string, name: string, now = Date.now()): boolean {
    if (now > this.until) {
      this.before = new Map();
      return false;
    }
    const roomKey = foldName(room);
    const nameKey = foldName(name);
    if (!this.before.get(roomKey)?.has(nameKey)) return false;
    const key = `${roomKey}\u0000${nameKey}`;
    if (this.back.has(key)) return false;
    this.back.add(key);
    return true;
  }

  /** This client left the room: nobody comes back to it as far as this client is concerned. */
  forget(room: string): void {
    const roomKey = foldName(room);
    if (!this.before.has(roomKey)) return;
    const rest = new Map(this.before);
    rest.delete(roomKey);
    this.before = rest;
  }
}
