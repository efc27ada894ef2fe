// Who blocked whom, kept in the store and mirrored in memory: every delivery asks, so the check is
// two map lookups. A block works both ways: neither side receives the other's messages.

import type { ChatStore } from '../store/store.ts';

export class BlockList {
  private readonly byBlocker = new Map<string, Set<string>>();

  constructor(private readonly store: ChatStore) {
    this.reload();
  }

  /** Reads the blocks again (at start, and when a server sharing the store changed them). */
  reload(): void {
    this.byBlocker.clear();
    for (const [blocker, blocked] of this.store.listBlocks()) this.add(blocker, blocked);
  }

  /** True when either of the two has blocked the other. */
  between(a: string, b: string): boolean {
    return this.byBlocker.get(a)?.has(b) === true || this.byBlocker.get(b)?.has(a) === true;
  }

  blockedBy(blocker: string): string[] {
    return [...(this.byBlocker.get(blocker) ?? [])];
  }

  block(blocker: string, blocked: string): void {
    this.store.block(blocker, blocked);
    this.add(blocker, blocked);
  }

  unblock(blocker: string, blocked: string): void {
    this.store.unblock(blocker, blocked);
    this.byBlocker.get(blocker)?.delete(blocked);
  }

  private add(blocker: string, blocked: string): void {
    let set = this.byBlocker.get(blocker);
    if (!set) this.byBlocker.set(blocker, (set = new Set()));
    set.add(blocked);
  }
}
