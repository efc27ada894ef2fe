// Operator bans by identity key, kept in the store and mirrored in memory: every login asks.
// A ban is by key rather than by name, so a banned user cannot come back under a new name without
// also making a new identity (and losing every name bound to the old one).

import type { BanRecord, ChatStore } from '../store/store.ts';

export class BanList {
  private readonly byFingerprint = new Map<string, BanRecord>();

  constructor(private readonly store: ChatStore) {
    this.reload();
  }

  /** Reads the bans again (at start, and when a server sharing the store changed them). */
  reload(): void {
    this.byFingerprint.clear();
    for (const ban of this.store.listBans()) this.byFingerprint.set(ban.fingerprint, ban);
  }

  get(fingerprint: string): BanRecord | undefined {
    return this.byFingerprint.get(fingerprint);
  }

  add(ban: BanRecord): void {
    this.store.putBan(ban);
    this.byFingerprint.set(ban.fingerprint, ban);
  }

  remove(fingerprint: string): BanRecord | undefined {
    const ban = this.byFingerprint.get(fingerprint);
    if (!ban) return undefined;
    this.store.deleteBan(fingerprint);
    this.byFingerprint.delete(fingerprint);
    return ban;
  }

  /** A ban by the name its key last used, case-insensitively. */
  findByName(folded: (name: string) => string, name: string): BanRecord | undefined {
    const wanted = folded(name);
    return [...this.byFingerprint.values()].find((ban) => folded(ban.name) === wanted);
  }
}
