// The slow-down for password guessing (issue 17 item 11). What is guessed is a target: the join
// password, the operator password, or one room's password; counters never cross targets.
//
// Two limits, and neither may refuse a right password because of someone else's failures:
//
// - Per (address, target, identity key): `freeTries` wrong passwords go free, then each further
//   attempt waits 1 s, 2 s, 4 s ... (capped) before it is even checked; RATE_LIMITED says how long.
//   A right password clears the record. Only the identity's own failures count here, so five wrong
//   tries "as alice" from another key, or from a neighbour behind the same NAT, cost alice nothing.
// - Per (address, target): at most `addressBurst` wrong passwords at once, then
//   `addressPerMinute`, whoever sends them. Identity keys are cheap to make, so without this a
//   guesser would take a fresh key every five tries. An attempt over this budget is not refused:
//   it waits its turn, and is checked when the budget allows. A right password gives its share of
//   the budget back. Waiting attempts go fewest-failures first, so an innocent user (no failures)
//   is checked ahead of a guesser's keys that have failed already, and each identity may have one
//   attempt waiting per target (a second is RATE_LIMITED: that is its own doing).

import { RetryLaterError, FailureTracker } from './limits.ts';

export type GuessTarget = 'join' | 'operator' | `room:${string}`;

export interface GuessLimits {
  /** Wrong passwords an identity may try on one target from one address before waiting. */
  freeTries: number;
  /** Wrong passwords from one address on one target at once, whoever sends them... */
  addressBurst: number;
  /** ...and then this many a minute. */
  addressPerMinute: number;
}

interface Waiter {
  failures: number;
  order: number;
  identity: string;
  go: () => void;
}

/** One address's budget of wrong passwords on one target, and the attempts waiting for it. */
class AddressLane {
  tokens: number;
  updatedAt: number;
  readonly waiting: Waiter[] = [];
  timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: GuessLimits,
    now: number,
  ) {
    this.tokens = limits.addressBurst;
    this.updatedAt = now;
  }

  /** Takes one wrong password's worth of budget now (0), or says how long until there is one. */
  take(now: number): number {
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.tokens) / this.limits.addressPerMinute) * 60_000));
  }

  giveBack(): void {
    this.tokens = Math.min(this.limits.addressBurst, this.tokens + 1);
  }

  /** Nothing waiting and the budget full again: nothing worth keeping. */
  idle(now: number): boolean {
    this.refill(now);
    return this.waiting.length === 0 && this.timer === undefined && this.tokens >= this.limits.addressBurst;
  }

  private refill(now: number): void {
    this.tokens = Math.min(this.limits.addressBurst, this.tokens + ((now - this.updatedAt) / 60_000) * this.limits.addressPerMinute);
    this.updatedAt = now;
  }
}

export class PasswordGuard {
  private readonly identities: FailureTracker;
  private readonly lanes = new Map<string, AddressLane>();
  private order = 0;

  constructor(
    /** From src/options.ts (passwordFreeTries, passwordGuessBurst, passwordGuessesPerMinute). */
    private readonly limits: GuessLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.identities = new FailureTracker(limits.freeTries);
  }

  /**
   * Checks a password attempt under both limits: throws RATE_LIMITED when this identity must
   * still wait, otherwise waits (if need be) for the address's budget, then runs `check`. Resolves
   * to check's verdict, or to undefined when `stillWanted` turned false while it waited.
   */
  async attempt(
    who: { address: string; identity: string },
    target: GuessTarget,
    check: () => boolean | Promise<boolean>,
    stillWanted: () => boolean = () => true,
  ): Promise<boolean | undefined> {
    const identityKey = `${target}\u0000${who.address}\u0000${who.identity}`;
    const wait = this.identities.waitMs(identityKey, this.now());
    if (wait > 0) throw new RetryLaterError(`too many wrong passwords: try again in ${Math.ceil(wait / 1000)} s`, wait);
    const laneKey = `${target}\u0000${who.address}`;
    const lane = this.lane(laneKey);
    if (lane.waiting.some((waiter) => waiter.identity === who.identity)) {
      throw new RetryLaterError('a password attempt of yours is still waiting its turn', 1000);
    }
    if (lane.waiting.length > 0 || lane.take(this.now()) > 0) {
      await new Promise<void>((go) => {
        lane.waiting.push({ failures: this.identities.countOf(identityKey, this.now()), order: this.order++, identity: who.identity, go });
        this.pump(laneKey, lane);
      });
    }
    if (!stillWanted()) {
      lane.giveBack();
      if (lane.waiting.length > 0) this.pump(laneKey, lane);
      this.forgetIfIdle(laneKey, lane);
      return undefined;
    }
    let right: boolean;
    try {
      right = await check();
    } catch (error) {
      lane.giveBack();
      throw error;
    }
    if (right) {
      this.identities.succeed(identityKey);
      lane.giveBack();
      // The budget given back lets the next waiting attempt through now.
      if (lane.waiting.length > 0) this.pump(laneKey, lane);
    } else {
      this.identities.fail(identityKey, this.now());
    }
    this.forgetIfIdle(laneKey, lane);
    return right;
  }

  /** Lets waiting attempts through as the budget allows: fewest failures first, then in order. */
  private pump(laneKey: string, lane: AddressLane): void {
    if (lane.timer) return;
    lane.waiting.sort((a, b) => a.failures - b.failures || a.order - b.order);
    while (lane.waiting.length > 0) {
      const wait = lane.take(this.now());
      if (wait > 0) {
        lane.timer = setTimeout(() => {
          lane.timer = undefined;
          this.pump(laneKey, lane);
        }, wait);
        lane.timer.unref();
        return;
      }
      lane.waiting.shift()!.go();
    }
  }

  private lane(key: string): AddressLane {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = new AddressLane(this.limits, this.now());
      this.lanes.set(key, lane);
      if (this.lanes.size > 100_000) for (const [other, candidate] of this.lanes) if (other !== key && candidate.idle(this.now())) this.lanes.delete(other);
    }
    return lane;
  }

  private forgetIfIdle(key: string, lane: AddressLane): void {
    if (lane.idle(this.now())) this.lanes.delete(key);
  }
}

/** Who makes a password attempt: the session's address and the identity key it proved it holds. */
export function guesser(session: { address: string; client: { fingerprint: string } }): { address: string; identity: string } {
  return { address: guessingAddress(session.address), identity: session.client.fingerprint };
}

/**
 * The unit of "one address" for guessing: an IPv4 address (also when IPv4-mapped), or an IPv6
 * address's /64, since one host may use any number of addresses in its /64 (privacy addresses).
 */
export function guessingAddress(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const [head = '', tail] = bare.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? front : [...front, ...new Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups.slice(0, 4).map((group) => parseInt(group || '0', 16).toString(16)).join(':')}::/64`;
}
