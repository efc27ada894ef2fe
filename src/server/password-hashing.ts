// Room passwords are scrypt hashes (passwords.ts): ~50 ms and 32 MiB each. scrypt runs on libuv's
// thread pool, which file and DNS work share; one session creating password rooms in a loop held
// the CPU at 108 % (issue 17, item 6). So hashes run a few at a time, in order, and past a short
// queue a request is refused with RATE_LIMITED instead of waiting behind a flood.

import pLimit, { type LimitFunction } from 'p-limit';
import { RetryLaterError } from './limits.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

/** How long a refused request is told to wait: about one queue's worth of hashes. */
const BUSY_RETRY_MS = 1000;

export class PasswordHashing {
  private readonly limit: LimitFunction;

  constructor(concurrency: number, private readonly maxQueued: number) {
    this.limit = pLimit(concurrency);
  }

  hash(password: string): Promise<string> {
    return this.run(() => hashPassword(password));
  }

  verify(password: string, stored: string): Promise<boolean> {
    return this.run(() => verifyPassword(password, stored));
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    if (this.limit.pendingCount >= this.maxQueued) {
      return Promise.reject(new RetryLaterError('the server is busy checking passwords: try again shortly', BUSY_RETRY_MS));
    }
    return this.limit(task);
  }
}
