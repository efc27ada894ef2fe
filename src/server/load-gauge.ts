// How busy the server's event loop is, as a factor that widens the fan-out coalescing window.
//
// Why: a room message costs one sealed frame and one write per member, and the write (a syscall
// that also runs loopback's or the NIC driver's receive path) is most of it, about 10 µs here. With
// a fixed 20 ms window a reader gets up to 50 frames a second, so 1,000 members cost up to 50,000
// frames a second: the whole core, at a message rate (about 50 a second) far below what batching
// handles once frames fill up. Under load the window therefore widens, up to `maxFactor` times, so
// that more messages share a frame; when the loop is mostly idle it is the configured window.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface LoadGaugeOptions {
  /** Utilisation (0..1) below which the factor is 1. */
  low?: number;
  /** Utilisation at and above which the factor is `maxFactor`. */
  high?: number;
  maxFactor?: number;
  /** How often the loop's utilisation is sampled. */
  intervalMs?: number;
  /** The event loop's utilisation since the previous call; tests give their own. */
  sample?: () => number;
}

/** performance.eventLoopUtilization over each interval. */
function loopUtilization(): () => number {
  let previous: EventLoopUtilization = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(now, previous).utilization;
    previous = now;
    return utilization;
  };
}

export class LoadGauge {
  /** Smoothed over a few samples, so that one long turn does not swing the window. */
  private utilization = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly low: number;
  private readonly high: number;
  private readonly maxFactor: number;
  private readonly sample: () => number;

  constructor(private readonly options: LoadGaugeOptions = {}) {
    this.low = options.low ?? 0.5;
    this.high = options.high ?? 0.9;
    this.maxFactor = options.maxFactor ?? 2;
    this.sample = options.sample ?? loopUtilization();
  }

  /** 1 when the loop is mostly idle, rising to maxFactor as it nears saturation. */
  get factor(): number {
    const share = (this.utilization - this.low) / (this.high - this.low);
    return 1 + (this.maxFactor - 1) * Math.min(1, Math.max(0, share));
  }

  start(): void {
    this.timer ??= setInterval(() => this.tick(), this.options.intervalMs ?? 100);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Takes one sample (the timer calls this). */
  tick(): void {
    this.utilization = 0.5 * this.utilization + 0.5 * this.sample();
  }
}
