// Progress of one transfer as a UI draws it: bytes done of the total, a rate over the last few
// seconds (not since the start, so a stall shows at once), and the time left at that rate.

import { performance } from 'node:perf_hooks';

// Where both UIs (the terminal's and the web page) take it from.
export { formatBytes } from '../../shared/format-bytes.ts';

export interface TransferProgress {
  transfer: number;
  direction: 'send' | 'receive';
  bytes: number;
  total: number;
  /** Bytes a second over the last few seconds. */
  rate: number;
  /** Milliseconds left at the current rate; undefined while the rate is 0. */
  etaMs: number | undefined;
}

/** How far back the rate looks, and how often progress is reported at most. */
const RATE_WINDOW_MS = 3000;
const REPORT_EVERY_MS = 100;

export class ProgressMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];
  private lastReportAt = -Infinity;
  private trailing: NodeJS.Timeout | undefined;
  bytes = 0;

  constructor(
    private readonly transfer: number,
    private readonly direction: 'send' | 'receive',
    readonly total: number,
    private readonly report: (progress: TransferProgress) => void,
  ) {}

  /**
   * Records the bytes done so far; reports at most every 100 ms, always at the end, and the last
   * count of a burst shortly after it (so a transfer that waits shows where it waits).
   */
  update(bytes: number, force = false): void {
    this.bytes = bytes;
    const now = performance.now();
    if (!force && bytes < this.total && now - this.lastReportAt < REPORT_EVERY_MS) {
      this.trailing ??= setTimeout(() => {
        this.trailing = undefined;
        this.update(this.bytes, true);
      }, REPORT_EVERY_MS - (now - this.lastReportAt));
      this.trailing.unref();
      return;
    }
    clearTimeout(this.trailing);
    this.trailing = undefined;
    this.lastReportAt = now;
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > RATE_WINDOW_MS) this.samples.shift();
    this.report(this.snapshot(now));
  }

  /** No more reports (the transfer ended). */
  stop(): void {
    clearTimeout(this.trailing);
    this.trailing = undefined;
  }

  snapshot(now = performance.now()): TransferProgress {
    const first = this.samples[0];
    const elapsed = first ? (now - first.at) / 1000 : 0;
    const rate = first && elapsed > 0 ? (this.bytes - first.bytes) / elapsed : 0;
    const left = this.total - this.bytes;
    return {
      transfer: this.transfer,
      direction: this.direction,
      bytes: this.bytes,
      total: this.total,
      rate,
      etaMs: left <= 0 ? 0 : rate > 0 ? Math.round((left / rate) * 1000) : undefined,
    };
  }
}
