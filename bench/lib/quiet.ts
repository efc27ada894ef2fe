// On a shared machine, a bench can at least start when nobody else is using the CPUs: this waits,
// bounded, until the whole machine has been mostly idle for one sample.

import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { cpuTimes } from './proc.ts';

/** Resolves once a `sampleMs` sample of /proc/stat is under `threshold` busy, or after maxWaitMs. */
export async function waitForQuiet(maxWaitMs: number, threshold = 0.15, sampleMs = 500): Promise<{ busy: number; waitedMs: number }> {
  const startedAt = performance.now();
  for (;;) {
    const before = cpuTimes();
    await sleep(sampleMs);
    const after = cpuTimes();
    const total = after.total - before.total;
    const busy = total > 0 ? (after.busy - before.busy) / total : 0;
    const waitedMs = performance.now() - startedAt;
    if (busy < threshold || waitedMs >= maxWaitMs) return { busy, waitedMs };
  }
}
