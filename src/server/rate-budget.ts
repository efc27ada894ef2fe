// The request budget (issue 17, items 2, 4 and 9). It belongs to the identity, not to the
// connection: every session of one identity key spends the same bucket, and reconnecting does not
// refill it. Identity keys cost nothing to make, so each address also has a bounded share that all
// the identities behind it spend together. A client told to wait (RATE_LIMITED, retryAfterMs) that
// waits is never punished; a request sent before its wait is over is a strike, and enough strikes
// in a window mean flooding.

import { TokenBucket } from '../token-bucket.ts';

export interface RatePolicy {
  /** Per identity: requests a second, and how many may come at once. */
  perSecond: number;
  burst: number;
  /** Per address, every identity behind it together. */
  addressPerSecond: number;
  addressBurst: number;
  /** This many strikes within `windowMs` disconnect the session that sent the last one. */
  strikes: number;
  windowMs: number;
}

export type Spent = { ok: true } | { ok: false; retryAfterMs: number; flooding: boolean };

/** One spender's bucket, when it was told it may try again, and its recent strikes. */
class Budget {
  notBefore = 0;
  /** The frame whose request was last refused: the rest of that frame was sent before the answer. */
  toldIn: string | undefined;
  readonly strikes: number[] = [];
  constructor(readonly bucket: TokenBucket) {}

  idle(now: number): boolean {
    return now >= this.notBefore && this.bucket.isFull(now);
  }
}

/** Buckets that are full again are forgotten: a new one is the same, and memory stays bounded. */
const SWEEP_FROM = 1024;

export class RateBudgets {
  private readonly identities = new Map<string, Budget>();
  private readonly addresses = new Map<string, Budget>();
  private sweepAt = SWEEP_FROM;

  constructor(private readonly policy: RatePolicy) {}

  /**
   * Spends one request of `identity` (a key fingerprint) from `address`; every request does, valid
   * or not. `frame` names the frame that carried it (session and frame number).
   */
  spend(identity: string, address: string, frame: string, now = Date.now()): Spent {
    const mine = this.budget(this.identities, identity, this.policy.perSecond, this.policy.burst, now);
    const shared = this.budget(this.addresses, address, this.policy.addressPerSecond, this.policy.addressBurst, now);
    const own = mine.bucket.take(now);
    if (own.ok) {
      const share = shared.bucket.take(now);
      if (share.ok) return { ok: true };
      mine.bucket.giveBack();
      return this.refuse(mine, share.retryAfterMs, frame, now);
    }
    return this.refuse(mine, own.retryAfterMs, frame, now);
  }

  private refuse(budget: Budget, retryAfterMs: number, frame: string, now: number): Spent {
    // Sent while it had been told to wait: a strike. Sent after the wait (the bucket was drained
    // meanwhile by another session of the same identity, or by its address), or in the same frame
    // as the request first refused (so before the client could have read the answer): told again.
    if (now < budget.notBefore && frame !== budget.toldIn) {
      budget.strikes.push(now);
      while (budget.strikes.length > 0 && now - budget.strikes[0]! > this.policy.windowMs) budget.strikes.shift();
    }
    if (now >= budget.notBefore) budget.toldIn = frame;
    budget.notBefore = Math.max(budget.notBefore, now + retryAfterMs);
    return { ok: false, retryAfterMs, flooding: budget.strikes.length >= this.policy.strikes };
  }

  private budget(map: Map<string, Budget>, key: string, perSecond: number, burst: number, now: number): Budget {
    let budget = map.get(key);
    if (!budget) {
      if (map.size >= this.sweepAt) this.sweep(now);
      map.set(key, (budget = new Budget(new TokenBucket(perSecond, burst, now))));
    }
    return budget;
  }

  private sweep(now: number): void {
    for (const map of [this.identities, this.addresses]) {
      for (const [key, budget] of map) if (budget.idle(now) && now - (budget.strikes.at(-1) ?? -Infinity) > this.policy.windowMs) map.delete(key);
    }
    this.sweepAt = Math.max(SWEEP_FROM, 2 * Math.max(this.identities.size, this.addresses.size));
  }
}
