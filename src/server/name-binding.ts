// Names are bound to identity keys: the first key to log in with a name owns it, and another key
// may take it only once the owner has been away for the reservation (30 days), or once an
// operator has released it (`!release`, for an owner who lost their key).

import { ParlorError } from '../protocol/errors.ts';
import type { ChatStore, NameRelease, UserRecord } from '../store/store.ts';

export interface NameClaim {
  /** The name's row as it was before this login, if it was ever used. */
  existing: UserRecord | undefined;
  /** An operator's release that this login consumes (it is told, once). */
  release: NameRelease | undefined;
}

/** Whether `fingerprint` may log in as `key` now; NAME_RESERVED while another key holds it. */
export function claimName(store: ChatStore, key: string, fingerprint: string, reservationMs: number, now: number): NameClaim {
  const existing = store.getUser(key);
  if (!existing) return { existing, release: undefined };
  const release = store.getNameRelease(key);
  // A release frees the name from the key it was made for, not from a later owner.
  const released = release !== undefined && release.fingerprint === existing.fingerprint;
  if (!released && existing.fingerprint !== fingerprint && now - existing.lastSeen < reservationMs) {
    const until = new Date(existing.lastSeen + reservationMs).toISOString().slice(0, 10);
    throw new ParlorError('NAME_RESERVED', `"${existing.name}" belongs to another identity key until ${until}`);
  }
  return { existing, release };
}
