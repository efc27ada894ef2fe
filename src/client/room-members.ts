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

  /** Every room's members' names as now known, by the room's folded name. */
  names(): Map<string, string[]> {
    return new Map([...this.rooms].map(([room, members]) => [room, [...members.values()].map((member) => member.name)]));
  }

  /** The room's members as now known, in the order the server listed them and then joined; undefined when unknown. */
  list(room: string): RoomMember[] | undefined {
    const members = this.rooms.get(foldName(room));
    return members ? [...members.values()].map((member) => ({ ...member })) : undefined;
  }
}
