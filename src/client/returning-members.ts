// Who is coming back, rather than arriving: when the connection drops (a server restart, most
// often), the people in each room are noted, and a joined notice for one of them soon after this
// client is back is marked `returning`. After a restart every member of a room is told of every
// other coming back, one by one; the UIs show those as the room filling up again, not as fifty
// "ada joined" lines. Someone new, or someone back long after, is a join as ever.

import { foldName } from '../protocol/names.ts';
import { RETURNING_WINDOW_MS } from '../options.ts';

export class ReturningMembers {
  /** Folded room name → folded names of who was in it when the connection dropped. */
  private before = new Map<string, Set<string>>();
  /** Until when (ms since the epoch) a joined notice of someone noted counts as coming back. */
  private until = Number.POSITIVE_INFINITY;

  constructor(private readonly windowMs = RETURNING_WINDOW_MS) {}

  /** The connection dropped: who was in each room then (by room, names as listed). */
  dropped(rooms: ReadonlyMap<string, readonly string[]>): void {
    this.before = new Map([...rooms].map(([room, names]) => [foldName(room), new Set(names.map(foldName))]));
    this.until = Number.POSITIVE_INFINITY;
  }

  /** This client is back: those noted who come back within the window are returning. */
  reconnected(now = Date.now()): void {
    this.until = now + this.windowMs;
  }

  /** A joined notice: true once for someone who was in the room at the drop, back in time. */
  returning(room: string, name: string, now = Date.now()): boolean {
    if (now > this.until) {
      this.before.clear();
      return false;
    }
    return this.before.get(foldName(room))?.delete(foldName(name)) ?? false;
  }

  /** This client left the room: nobody comes back to it as far as this client is concerned. */
  forget(room: string): void {
    this.before.delete(foldName(room));
  }
}
