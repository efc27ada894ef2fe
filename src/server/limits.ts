// Limits that keep one client from hurting the rest.

import { ParlorError } from '../protocol/errors.ts';

/** A failed check that also says how long to wait (rate limits, password slow-down). */
export class RetryLaterError extends ParlorError {
  constructor(message: string, retryAfterMs: number) {
    super('RATE_LIMITED', message, { retryAfterMs });
  }
}

/**
 * Failed password attempts, per key (password-guard.ts keys them by address, target and identity): after `freeAttempts` failures, each
 * further attempt must wait 2^(failures − free) seconds, capped, before it is even checked. The
 * record fades after `forgetAfterMs` without failures.
 */
export class FailureTracker {
  private readonly failures = new Map<string, { count: number; lastAt: number }>();

  constructor(
    private readonly freeAttempts = 5,
    private readonly maxDelayMs = 5 * 60_000,
    private readonly forgetAfterMs = 15 * 60_000,
  ) {}

  /** How long the key must still wait before its next attempt is checked (0: go ahead). */
  waitMs(key: string, now = Date.now()): number {
    const record = this.current(key, now);
    if (!record || record.count < this.freeAttempts) return 0;
    const delay = Math.min(this.maxDelayMs, 1000 * 2 ** (record.count - this.freeAttempts));
    return Math.max(0, record.lastAt + delay - now);
  }

  fail(key: string, now = Date.now()): void {
    const record = this.current(key, now);
    this.failures.set(key, { count: (record?.count ?? 0) + 1, lastAt: now });
    if (this.failures.size > 100_000) this.prune(now);
  }

  succeed(key: string): void {
    this.failures.delete(key);
  }

  /** The failures on record for a key (0 once forgotten). */
  countOf(key: string, now = Date.now()): number {
    return this.current(key, now)?.count ?? 0;
  }

  private current(key: string, now: number): { count: number; lastAt: number } | undefined {
    const record = this.failures.get(key);
    if (record && now - record.lastAt > this.forgetAfterMs) {
      this.failures.delete(key);
      return undefined;
    }
    return record;
  }

  private prune(now: number): void {
    for (const [key, record] of this.failures) if (now - record.lastAt > this.forgetAfterMs) this.failures.delete(key);
  }
}
