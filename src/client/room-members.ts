// Who is in each room, in the order the server told it: a join, create or members reply sets a
// room's list, and the joined and left notices after it change it. A list taken from a reply
// where it is awaited would miss a notice that came right behind the reply (in the same frame,
// often, when two people join at once): that notice is handled before the awaiting code runs.

import { foldName } from '../protocol/names.ts';

export interface RoomMember {
  name: string;
  /** When they last said something in the room (ms since the epoch), as the server last told. */
  lastMessageAt: number | null;
}

export class RoomMembers {
  private readonly rooms = new Map<string, Map<string, RoomMember>>();

  /** A reply's list: it replaces what was known, keeping last-message times a names-only list lacks. */
  set(room: string, members: readonly (string | RoomMember)[]): void {
    const before = this.rooms.get(foldName(room));
    const next = new Map<string, RoomMember>();
    for (const member of members) {
      const entry = typeof member === 'string' ? { name: member, lastMessageAt: before?.get(foldName(member))?.lastMessageAt ?? null } : { ...member };
      next.set(foldName(entry.name), entry);
    }
    this.rooms.set(foldName(room), next);
  }

  joined(room: string, name: string): void {
    const members = this.rooms.get(foldName(room));
    if (members && !members.has(foldName(name))) members.set(foldName(name), { name, lastMessageAt: null });
  }

  left(room: string, name: string): void {
    this.rooms.get(foldName(room))?.delete(foldName(name));
  }

  /** This client left the room: its list is no longer kept up to date. */
  forget(room: string): void {
    this.rooms.delete(foldName(room));
  }

  /**
   * Every room's members as now known, by folded room and member names, without copying them: a
   * reply's list replaces a room's map (set), so a map taken here changes only by the joined and
   * left notices of its room until then. Taken when the connection drops, it stays as it was.
   */
  snapshot(): ReadonlyMap<string, ReadonlyMap<string, RoomMember>> {
    return new Map(this.rooms);
  }

  /** The room's members as now known, in the order the server listed them and then joined; undefined when unknown. */
  list(room: string): RoomMember[] | undefined {
    const members = this.rooms.get(foldName(room));
    return members ? [...members.values()].map((member) => ({ ...member })) : undefined;
  }
}
