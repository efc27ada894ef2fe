// One budget for the bytes waiting to be sent to every client together (issue 17, item 10). Each
// session is capped on its own (maxOutboundBytes: SLOW_CONSUMER), but 20 clients that never read
// could each hold nearly that cap: RSS went from 166 to 355 MiB. Every so often the backlogs are
// added up, and while the total is over the budget the sessions with the most waiting are dropped
// first: those are the ones not reading, and the ones whose loss frees the most.

import type { Session } from './session.ts';

/** How often the backlogs are added up: between two looks, each session is still under its own cap. */
const CHECK_EVERY_MS = 100;

export class OutboundBudget {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sessions: ReadonlySet<Session>,
    private readonly maxTotalBytes: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.check(), CHECK_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Drops the largest backlogs until the total fits; returns how many sessions were dropped. */
  check(): number {
    let total = 0;
    for (const session of this.sessions) total += backlog(session);
    if (total <= this.maxTotalBytes) return 0;
    const largestFirst = [...this.sessions].filter((s) => s.isOpen).sort((a, b) => backlog(b) - backlog(a));
    let dropped = 0;
    for (const session of largestFirst) {
      if (total <= this.maxTotalBytes) break;
      const waiting = backlog(session);
      total -= waiting;
      dropped++;
      session.connection.close('SLOW_CONSUMER', `the server holds more than ${this.maxTotalBytes} bytes for its readers, and ${waiting} of them waited for this client`);
      // It is not reading: what the closing flushed to its socket would wait there for nothing.
      session.connection.socket.destroy();
    }
    return dropped;
  }
}

/**
 * What waits for a session beyond its file chunks in flight: those are bounded by each transfer's
 * window (flow control) and excused from the per-session cap too (Session.sendRecord).
 */
function backlog(session: Session): number {
  return Math.max(0, session.connection.bufferedBytes - session.transferAllowance);
}
