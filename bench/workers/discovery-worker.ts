// Runs the discoveries of bench/discovery.ts inside the client's network namespace (started with
// `ip netns exec NS node --import tsx bench/workers/discovery-worker.ts CONFIG-JSON`): for each
// series, a few untimed warm-up discoveries, then the measured ones, one after another in this one
// process (so node's start-up is in none of them). Each is timed with performance.now() from the
// discoverServers() call to the first server it yields; the for-await is then left, which closes
// the discovery's sockets before the next one starts. Prints one JSON line (DiscoveryWorkerResult).
//
// It sends broadcasts, so it first checks where it is: the only non-loopback IPv4 address it may
// see is the client's address on the bench's LAN; anywhere else it exits without sending.

import { networkInterfaces } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { discoverServers, plannedTargets, type DiscoverOptions, type DiscoveredServer } from '../../src/discovery/discover.ts';
import type { DiscoverySeriesPlan, DiscoverySeriesResult, DiscoveryWorkerConfig, DiscoveryWorkerResult } from '../lib/discovery-messages.ts';

function fail(message: string): never {
  process.stderr.write(`discovery-worker: ${message}\n`);
  process.exit(1);
}

function readConfig(): DiscoveryWorkerConfig {
  const text = process.argv[2];
  if (text === undefined) fail('started by bench/discovery.ts, not by hand (no config argument)');
  return JSON.parse(text) as DiscoveryWorkerConfig;
}

function checkNamespace(clientAddress: string): void {
  const ipv4 = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((info) => info.family === 'IPv4' && !info.internal)
    .map((info) => info.address);
  if (ipv4.length !== 1 || ipv4[0] !== clientAddress) {
    fail(`not in the bench's client namespace (IPv4 addresses here: ${ipv4.join(', ') || 'none'}; expected only ${clientAddress}): refusing to broadcast`);
  }
}

interface Timed {
  ms: number | null;
  server: DiscoveredServer | undefined;
}

async function timeFirstServer(options: DiscoverOptions): Promise<Timed> {
  const startedAt = performance.now();
  for await (const server of discoverServers(options)) {
    const ms = performance.now() - startedAt;
    // Leaving the loop returns the generator: its finally clears the resend timers and closes
    // its sockets (awaited) before this function resolves.
    return { ms, server };
  }
  return { ms: null, server: undefined };
}

async function runSeries(config: DiscoveryWorkerConfig, plan: DiscoverySeriesPlan): Promise<DiscoverySeriesResult> {
  const options: DiscoverOptions = {
    timeoutMs: config.timeoutMs,
    discoveryPort: config.discoveryPort,
    ...(plan.broadcast !== undefined && { broadcast: plan.broadcast }),
  };
  let coldMs: number | null = null;
  let via = '';
  const runsMs: Array<number | null> = [];
  for (let i = 0; i < config.warmup + config.runs; i++) {
    const { ms, server } = await timeFirstServer(options);
    if (server !== undefined) {
      if (server.host !== config.serverHost || server.fingerprint !== config.fingerprint) {
        fail(`found ${server.fingerprint} at ${server.host}, not ${config.fingerprint} at ${config.serverHost}`);
      }
      via ||= server.via;
    }
    if (i === 0) coldMs = ms;
    if (i >= config.warmup) runsMs.push(ms);
    await sleep(plan.gapMs);
  }
  const targets = plannedTargets(options).map((target) => `${target.address} from ${target.from}`);
  return { name: plan.name, targets, coldMs, runsMs, via };
}

async function main(): Promise<void> {
  const config = readConfig();
  checkNamespace(config.clientAddress);
  const series: DiscoverySeriesResult[] = [];
  for (const plan of config.series) series.push(await runSeries(config, plan));
  const result: DiscoveryWorkerResult = { type: 'result', series };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
