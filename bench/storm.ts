// Benchmark "storm": the handshake bench's reconnect storm alone (bench/reconnect-storm.ts), run
// PARLOR_BENCH_STORM_RUNS times (default 3) with the median printed; PARLOR_BENCH_STORM_CLIENTS
// sets the number of clients (default 2,000). Same layout as the handshake bench: the server on
// CPU 0, the client workers and this orchestrator on CPU 1, when taskset exists.

import { loadavg } from 'node:os';
import { choosePinning } from './lib/pinning.ts';
import { median } from './lib/stats.ts';
import { DEFAULT_STORM_CLIENTS, measureReconnectStorm, printStorm, type StormResult } from './reconnect-storm.ts';

const RUNS = Number(process.env.PARLOR_BENCH_STORM_RUNS ?? 3);
const CLIENTS = Number(process.env.PARLOR_BENCH_STORM_CLIENTS ?? DEFAULT_STORM_CLIENTS);

export async function run(): Promise<void> {
  const pinning = choosePinning();
  console.log(`bench storm: ${CLIENTS} clients, ${RUNS} run${RUNS === 1 ? '' : 's'} (${pinning.why})`);
  pinning.pinSelf();
  const runs: StormResult[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const storm = await measureReconnectStorm(pinning.server, pinning.generator, CLIENTS);
      console.log(`run ${i + 1} (load average ${loadavg().map((load) => load.toFixed(2)).join(' ')}):`);
      printStorm(storm, pinning.server !== undefined);
      runs.push(storm);
    }
  } finally {
    pinning.restore();
  }
  const seconds = median(runs.map((r) => r.seconds));
  const serverCpuMs = median(runs.map((r) => r.serverCpuMs));
  const clientsCpuMs = median(runs.map((r) => r.clientsCpuMs));
  console.log(
    `  median of ${RUNS}: ${seconds} s; server CPU ${serverCpuMs} ms (${(serverCpuMs / CLIENTS).toFixed(2)} ms per client back), ` +
      `clients' CPU ${clientsCpuMs} ms (${(clientsCpuMs / CLIENTS).toFixed(2)} ms per client)`,
  );
  console.log(JSON.stringify({ bench: 'storm', clients: CLIENTS, seconds, serverCpuMs, clientsCpuMs, runs, loadAverage: loadavg() }));
}
