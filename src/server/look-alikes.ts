// Names that look like other names. A name is unique by its folded key (names.ts), but "аlice"
// with a Cyrillic а, "alіce" with a Ukrainian і, or "ALICE" beside "aIice" are other keys that a
// reader cannot tell apart on screen. UTS #39 (Unicode Security Mechanisms, section 4) defines the
// confusable skeleton for this: NFD, then every character replaced by its prototype from Unicode's
// confusables.txt, then NFD again; two strings are confusable when their skeletons are equal. The
// mapping is unhomoglyph's, which ships confusables.txt (nodeca/unhomoglyph, Unicode 13) as data.
//
// A skeleton keeps case ("I" and "l" share one, "i" and "l" do not), so each name has two look-alike
// keys: the skeleton of the name as written, and the skeleton of its case-folded form (full case
// folding by upper-casing then lower-casing, so "Straße" and "STRASSE" meet too). Two names look
// alike when they share either key.

import { ParlorError } from '../protocol/errors.ts';
import { lookAlikeKeys } from '../protocol/look-alike-names.ts';
import type { RoomRecord, UserRecord } from '../store/store.ts';

/**
 * The names in use (user names or room names), by look-alike key, so that a new name can be
 * checked against all of them at once. Filled from the store on first use, then kept up to date
 * by the caller (`add`) as names are taken.
 */
export class LookAlikeIndex {
  /** Look-alike key → the folded keys of the names that have it, and one display form each. */
  private byKey: Map<string, Map<string, string>> | undefined;

  constructor(
    /** Every name in use now, as [folded key, display name]. */
    private readonly load: () => Iterable<readonly [string, string]>,
  ) {}

  add(key: string, display: string): void {
    const index = this.index();
    for (const alike of lookAlikeKeys(display)) {
      let names = index.get(alike);
      if (!names) index.set(alike, (names = new Map()));
      names.set(key, display);
    }
  }

  /** The names (other than the one with folded key `key`) that `display` looks like: [key, display]. */
  find(key: string, display: string): Array<[string, string]> {
    const index = this.index();
    const found = new Map<string, string>();
    for (const alike of lookAlikeKeys(display)) {
      for (const [otherKey, otherDisplay] of index.get(alike) ?? []) if (otherKey !== key) found.set(otherKey, otherDisplay);
    }
    return [...found];
  }

  private index(): Map<string, Map<string, string>> {
    if (!this.byKey) {
      this.byKey = new Map();
      for (const [key, display] of this.load()) this.add(key, display);
    }
    return this.byKey;
  }
}

/** What the guard needs of the store: the users and rooms there are. */
export interface NamedThings {
  getUser(key: string): UserRecord | undefined;
  listUsers(): UserRecord[];
  listRooms(): RoomRecord[];
}

/**
 * Refuses a new user or room name that looks like one in use (NAME_CONFUSABLE). A user name is in
 * use while its owner is online or holds it (the reservation after their last visit); a room name
 * while the room exists. A name someone already holds under their key stays theirs: the rule
 * stops new look-alikes, it does not take names away.
 */
export class LookAlikeGuard {
  private readonly users: LookAlikeIndex;
  private readonly rooms: LookAlikeIndex;

  constructor(
    private readonly store: NamedThings,
    private readonly reservationMs: number,
    private readonly isOnline: (key: string) => boolean,
  ) {
    this.users = new LookAlikeIndex(() => store.listUsers().map((user) => [user.key, user.name] as const));
    this.rooms = new LookAlikeIndex(() => store.listRooms().map((room) => [room.key, room.name] as const));
  }

  /** Before a login takes `display` (folded `key`) for the identity `fingerprint`. */
  checkUser(key: string, display: string, fingerprint: string, now = Date.now()): void {
    if (this.store.getUser(key)?.fingerprint === fingerprint) return;
    for (const [otherKey] of this.users.find(key, display)) {
      const other = this.store.getUser(otherKey);
      if (!other || other.fingerprint === fingerprint) continue;
      if (this.isOnline(otherKey) || now - other.lastSeen < this.reservationMs) {
        throw new ParlorError('NAME_CONFUSABLE', `"${display}" looks like ${other.name}, a name in use: choose another`);
      }
    }
  }

  userNamed(key: string, display: string): void {
    this.users.add(key, display);
  }

  checkRoom(key: string, display: string): void {
    const [alike] = this.rooms.find(key, display);
    if (alike) throw new ParlorError('NAME_CONFUSABLE', `#${display} looks like #${alike[1]}, a room that exists: /join it or choose another name`);
  }

  roomCreated(key: string, display: string): void {
    this.rooms.add(key, display);
  }
}
