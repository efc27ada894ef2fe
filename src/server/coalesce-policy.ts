// How long a room message may wait to share a frame with the next ones (the fan-out coalescing
// window, see SecureConnection.sendRecord). A short window keeps latency low while the server has
// time to spare; when its event loop is nearly always busy, sealing and writing one frame per
// reader per message is what it is busy with, so the window widens and each frame carries more.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Above this share of busy time the window widens; below the lower mark it narrows again. */
const BUSY = 0.9;
const CALM = 0.6;
const SAMPLE_MS = 200;

export class CoalescePolicy {
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private timer: NodeJS.Timeout | undefined;
  current: number;

  constructor(
    private readonly baseMs: number,
    private readonly busyMs: number,
    private readonly onChange: (ms: number) => void,
  ) {
    this.current = baseMs;
  }

  start(): void {
    if (this.busyMs <= this.baseMs) return;
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, this.last).utilization;
    this.last = now;
    const next = busy > BUSY ? this.busyMs : busy < CALM ? this.baseMs : this.current;
    if (next === this.current) return;
    this.current = next;
    this.onChange(next);
  }
}
