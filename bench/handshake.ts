// Benchmark "handshake": full handshakes (RSA-OAEP + X25519 + Ed25519) per second against a
// `parlor serve` child on 127.0.0.1, and the server's CPU time per handshake, which is the figure
// that matters: a handshake costs the client (RSA-OAEP decrypt, ~280 µs) several times what it
// costs the server, so with two cores the generators, not the server, bound handshakes/s.
//
// Layout: the server alone on CPU 0, the generators (several processes, one RSA identity each, a
// few handshakes in flight each) and this orchestrator on CPU 1, when taskset exists. Server CPU is
// utime+stime from /proc/PID/stat, sampled when the server is idle right before and right after
// the measurement window, so the delta is exactly the window's handshakes (accept, handshake,
// welcome, close). Each run: a warm-up, then a window bounded by time and count. Median of 3 runs
// that nothing else disturbed: the share of CPU 0 that went to other processes is measured from
// /proc/stat, and a run above 10% is redone (bounded), since this is often a shared machine.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ExchangeSizes, FromFloorWorker, FromHandshakeWorker, ToFloorWorker, ToHandshakeWorker } from './lib/handshake-messages.ts';
import { startWorker, type WorkerProcess } from './lib/worker-process.ts';
import { clockTicksPerSecond, cpuTimes, processCpuTicks, processRssMiB, type CpuTimes } from './lib/proc.ts';
import { choosePinning, SERVER_CPU } from './lib/pinning.ts';
import { startServer, type ServerProcess } from './lib/bench-server.ts';
import { formatCount, median, round } from './lib/stats.ts';
import { benchDeadline } from './lib/deadline.ts';
import { makeTempDir } from '../tests/helpers/temp-dir.ts';
import { measureReconnectStorm, printStorm, TARGET_STORM_SECONDS } from './reconnect-storm.ts';

const RUNS = 3;
/** Runs that others' CPU load spoilt are redone, at most this many times, and not past the budget below. */
const MAX_EXTRA_RUNS = 3;
const EXTRA_RUNS_UNTIL_MS = 30_000;
const GENERATORS = 3;
const IN_FLIGHT_PER_GENERATOR = 4;
/**
 * Once, before the first run: JIT warm-up of server and generators, bounded by count and time.
 * Measured on 2 vCPUs: the server's V8 compiler threads cost ~90 µs/handshake in the first 3 s of
 * load and ~20 µs from ~6 s on, its main thread drops ~15% over the same span; the generators,
 * three to a core, take ~12 s to drop from ~1,250 to ~900 µs/handshake.
 */
const INITIAL_WARMUP_HANDSHAKES = 15_000;
const INITIAL_WARMUP_MS = 11_000;
/** Before each run: brings the server back to steady state after the previous run's settle. */
const WARMUP_HANDSHAKES = 210;
/**
 * Generators close once the server's welcome has arrived, as ParlorClient.connect does, so each
 * connection runs the server's whole lifecycle (session, welcome, closing, disconnect). Closing
 * right after ClientFinished instead races the server's session setup (see the report of the
 * session/disconnect counts below).
 */
const CLOSE_AFTER = 'welcome' as const;
const WINDOW_MS = 3000;
const WINDOW_MAX_HANDSHAKES = 30_000;
/**
 * The issue's targets: parlor's own share (server CPU per handshake minus the crypto and plain
 * socket reference points) ≤ 100 µs, and the server CPU per handshake ≤ 0.8× a TLS 1.3 server's.
 */
const TARGET_SHARE_US = 100;
const TARGET_TLS_RATIO = 0.8;
/** Hard bound on the whole bench; it normally takes ~35 s, ~46 s at most when runs are redone. */
const BENCH_DEADLINE_MS = 220_000;
/** Above this share of the server's CPU going to others, a run is flagged as unreliable. */
const FOREIGN_CPU_WARNING = 0.1;
/** The reference points (measureFloor): in-process handshakes, bounded by count and time. */
const FLOOR_CRYPTO_HANDSHAKES = 20_000;
const FLOOR_CRYPTO_MS = 2000;
/** The plain server's warm-up at the real runs' rate, before its window (WINDOW_MS). */
const FLOOR_WARMUP_MS = 1500;

interface RunResult {
  handshakes: number;
  seconds: number;
  handshakesPerSec: number;
  serverCpuMs: number;
  serverCpuUsPerHandshake: number;
  /** The server's CPU time over the window's wall time: near 1 means the server was the bottleneck. */
  serverBusy: number;
  /** The generators' CPU time per handshake: what bounds handshakes/s on this layout. */
  generatorCpuUsPerHandshake: number;
  sessionsReported: number;
  /**
   * The share of the server's CPU (CPU 0 when pinned, else the whole machine) that went to
   * anything but this bench's processes: other people's jobs, the hypervisor (steal). Above
   * ~10% the figures are unreliable.
   */
  foreignCpuShare: number;
  stealShare: number;
}

type Generator = WorkerProcess<ToHandshakeWorker, FromHandshakeWorker>;

function startGenerator(cpu: number | undefined): Generator {
  return startWorker<ToHandshakeWorker, FromHandshakeWorker>('a generator', 'handshake.ts', cpu);
}

function contendedCount(runs: readonly RunResult[]): number {
  return runs.filter((r) => r.foreignCpuShare > FOREIGN_CPU_WARNING).length;
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

let nextRunId = 1;

/** Every generator handshakes until its share of `max` or `durationMs`; resolves when all are done. */
async function runGenerators(generators: readonly Generator[], max: number, durationMs: number, ratePerSec?: number) {
  const id = nextRunId++;
  const share = Math.ceil(max / generators.length);
  const run: ToHandshakeWorker = {
    type: 'run',
    id,
    max: share,
    durationMs,
    ...(ratePerSec !== undefined && { ratePerSec: ratePerSec / generators.length }),
  };
  const answers = await Promise.all(generators.map((generator) => generator.call(run, durationMs + 15_000)));
  let completed = 0;
  let failed = 0;
  let firstError: string | null = null;
  for (const answer of answers) {
    if (answer.type !== 'done' || answer.id !== id) throw new Error(`an unexpected answer from a generator: ${JSON.stringify(answer)}`);
    completed += answer.completed;
    failed += answer.failed;
    firstError ??= answer.firstError;
  }
  if (failed > 0) throw new Error(`${failed} of ${completed + failed} handshakes failed; the first: ${firstError}`);
  return completed;
}

/** Waits until the server has reported every handshake so far (and, if it can, every close), then goes quiet. */
async function settle(server: ServerProcess, sessions: number): Promise<void> {
  await server.waitForCount('session', sessions, 10_000);
  // A missing disconnect is a server bug to report, not a reason to stop: the final counts show it.
  await server.waitForCount('disconnect', sessions, 2000).catch(() => {});
  await sleep(100);
}

interface Sample {
  serverTicks: number;
  generatorTicks: number;
  ownTicks: number;
  cpu: CpuTimes;
}

function sample(server: ServerProcess, generators: readonly Generator[], pinned: boolean): Sample {
  let generatorTicks = 0;
  for (const generator of generators) generatorTicks += processCpuTicks(generator.child.pid!);
  return {
    serverTicks: processCpuTicks(server.pid),
    generatorTicks,
    ownTicks: processCpuTicks(process.pid),
    cpu: cpuTimes(pinned ? SERVER_CPU : undefined),
  };
}

async function measure(
  server: ServerProcess,
  generators: readonly Generator[],
  pinned: boolean,
  sessionsSoFar: { n: number },
): Promise<RunResult> {
  sessionsSoFar.n += await runGenerators(generators, WARMUP_HANDSHAKES, 10_000);
  await settle(server, sessionsSoFar.n);

  const sessionsBefore = server.count('session');
  const before = sample(server, generators, pinned);
  const startedAt = performance.now();
  const handshakes = await runGenerators(generators, WINDOW_MAX_HANDSHAKES, WINDOW_MS);
  const seconds = (performance.now() - startedAt) / 1000;
  sessionsSoFar.n += handshakes;
  await settle(server, sessionsSoFar.n);
  const after = sample(server, generators, pinned);
  if (handshakes === 0) throw new Error('no handshake completed in the measurement window');

  const tickUs = 1e6 / clockTicksPerSecond();
  const serverTicks = after.serverTicks - before.serverTicks;
  const cpuTotal = after.cpu.total - before.cpu.total;
  // Pinned, CPU 0 holds only the server; unpinned, the whole machine holds all of this bench.
  const ours = pinned ? serverTicks : serverTicks + after.generatorTicks - before.generatorTicks + after.ownTicks - before.ownTicks;
  const foreign = Math.max(0, after.cpu.busy - before.cpu.busy - ours);
  return {
    handshakes,
    seconds: round(seconds, 3),
    handshakesPerSec: round(handshakes / seconds),
    serverCpuMs: round((serverTicks * tickUs) / 1000, 1),
    serverCpuUsPerHandshake: round((serverTicks * tickUs) / handshakes, 1),
    serverBusy: round((serverTicks * tickUs) / 1e6 / seconds, 3),
    generatorCpuUsPerHandshake: round(((after.generatorTicks - before.generatorTicks) * tickUs) / handshakes, 1),
    sessionsReported: server.count('session') - sessionsBefore,
    foreignCpuShare: cpuTotal > 0 ? round(foreign / cpuTotal, 3) : 0,
    stealShare: cpuTotal > 0 ? round((after.cpu.steal - before.cpu.steal) / cpuTotal, 3) : 0,
  };
}

interface Floor {
  /** The server's half of the handshake in-process: crypto and handshake code, no socket. */
  cryptoUs: number;
  /** A plain node:net server, same connections, bytes and rate, no crypto: Node's and the kernel's share. */
  socketsUs: number;
  socketsRatePerSec: number;
  /** A node:tls TLS 1.3 server (X25519, Ed25519 certificate), same connections and rate; undefined without openssl. */
  tlsUs: number | undefined;
  tlsRatePerSec: number | undefined;
  sizes: ExchangeSizes;
}

/** An Ed25519 key and self-signed certificate for the TLS reference point, made by openssl in a temp dir. */
function ed25519Certificate(): { key: string; cert: string } | undefined {
  const dir = makeTempDir('tls');
  try {
    const key = join(dir.path, 'key.pem');
    const cert = join(dir.path, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ed25519', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=parlor-bench'], { stdio: 'ignore' });
    return { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
  } catch {
    return undefined;
  } finally {
    dir.remove();
  }
}

/** Drives a reference server with the generators at the real runs' rate; its CPU µs per connection. */
async function rateMatchedWindow(floorPid: number, generators: readonly Generator[], setup: ToHandshakeWorker, ratePerSec: number): Promise<{ us: number; ratePerSec: number }> {
  await Promise.all(generators.map((generator) => generator.call(setup, 10_000)));
  await runGenerators(generators, Math.ceil(ratePerSec * FLOOR_WARMUP_MS / 1000), FLOOR_WARMUP_MS, ratePerSec);
  await sleep(100);
  const before = processCpuTicks(floorPid);
  const startedAt = performance.now();
  const connections = await runGenerators(generators, WINDOW_MAX_HANDSHAKES, WINDOW_MS, ratePerSec);
  const seconds = (performance.now() - startedAt) / 1000;
  await sleep(100);
  const ticks = processCpuTicks(floorPid) - before;
  return { us: round((ticks * 1e6) / clockTicksPerSecond() / connections, 1), ratePerSec: round(connections / seconds) };
}

/**
 * The reference points that say where the server's CPU per handshake goes, and what TLS 1.3 costs (see
 * bench/workers/handshake-floor.ts), measured on the server's CPU after the real server stopped,
 * with the same generators at the real runs' median rate.
 */
async function measureFloor(generators: readonly Generator[], pinned: boolean, ratePerSec: number): Promise<Floor> {
  const floor = startWorker<ToFloorWorker, FromFloorWorker>('the reference server', 'handshake-floor.ts', pinned ? SERVER_CPU : undefined);
  try {
    const crypto = await floor.call({ type: 'crypto', maxHandshakes: FLOOR_CRYPTO_HANDSHAKES, maxMs: FLOOR_CRYPTO_MS }, 60_000);
    if (crypto.type !== 'crypto-done') throw new Error(`an unexpected answer from the reference server: ${JSON.stringify(crypto)}`);
    const listening = await floor.call({ type: 'listen', sizes: crypto.sizes }, 10_000);
    if (listening.type !== 'listening') throw new Error(`an unexpected answer from the reference server: ${JSON.stringify(listening)}`);
    const plain = await rateMatchedWindow(floor.child.pid!, generators, { type: 'setup-plain', host: listening.host, port: listening.port, inFlight: IN_FLIGHT_PER_GENERATOR, sizes: crypto.sizes }, ratePerSec);
    let tls: { us: number; ratePerSec: number } | undefined;
    const certificate = ed25519Certificate();
    if (certificate !== undefined) {
      const tlsListening = await floor.call({ type: 'listen-tls', sizes: crypto.sizes, ...certificate }, 10_000);
      if (tlsListening.type !== 'listening') throw new Error(`an unexpected answer from the reference server: ${JSON.stringify(tlsListening)}`);
      tls = await rateMatchedWindow(floor.child.pid!, generators, { type: 'setup-tls', host: tlsListening.host, port: tlsListening.port, inFlight: IN_FLIGHT_PER_GENERATOR, sizes: crypto.sizes }, ratePerSec);
    }
    return {
      cryptoUs: round(crypto.cpuUsPerHandshake, 1),
      socketsUs: plain.us,
      socketsRatePerSec: plain.ratePerSec,
      tlsUs: tls?.us,
      tlsRatePerSec: tls?.ratePerSec,
      sizes: crypto.sizes,
    };
  } finally {
    await floor.stop();
  }
}

export async function run(): Promise<void> {
  const benchStarted = performance.now();
  const pinning = choosePinning();
  const deadline = benchDeadline('handshake', BENCH_DEADLINE_MS);

  console.log('handshake: full handshakes (RSA-OAEP + X25519 + Ed25519) against `parlor serve --json` on 127.0.0.1');
  console.log(`  pinning: ${pinning.why}`);
  console.log(
    `  load: ${GENERATORS} generator processes × ${IN_FLIGHT_PER_GENERATOR} handshakes in flight, each connection closed after the ${CLOSE_AFTER}`,
  );
  console.log(
    `  runs: ${INITIAL_WARMUP_MS / 1000} s warm-up once; then each run ${WARMUP_HANDSHAKES} warm-up handshakes and a window of ` +
      `${WINDOW_MS / 1000} s or ${formatCount(WINDOW_MAX_HANDSHAKES)} handshakes; median of ${RUNS} (CLK_TCK ${clockTicksPerSecond()})`,
  );

  pinning.pinSelf();
  let server: ServerProcess | undefined;
  const generators: Generator[] = [];
  try {
    server = await startServer(pinning.server !== undefined ? { cpu: pinning.server } : {});
    for (let i = 0; i < GENERATORS; i++) generators.push(startGenerator(pinning.generator));
    const setup: ToHandshakeWorker = {
      type: 'setup',
      host: server.host,
      port: server.port,
      fingerprint: server.fingerprint,
      inFlight: IN_FLIGHT_PER_GENERATOR,
      closeAfter: CLOSE_AFTER,
    };
    await Promise.all(generators.map((generator) => generator.call(setup, 30_000)));

    // Once per bench: let V8 optimise the server's and generators' hot paths before any run.
    const sessionsSoFar = { n: await runGenerators(generators, INITIAL_WARMUP_HANDSHAKES, INITIAL_WARMUP_MS) };
    await settle(server, sessionsSoFar.n);
    const rssBefore = processRssMiB(server.pid);

    // A run whose CPU others took is replaced, while the extra runs and the time budget last.
    const runs: RunResult[] = [];
    const isClean = (r: RunResult): boolean => r.foreignCpuShare <= FOREIGN_CPU_WARNING;
    while (
      runs.filter(isClean).length < RUNS &&
      runs.length < RUNS + MAX_EXTRA_RUNS &&
      (runs.length < RUNS || performance.now() - benchStarted < EXTRA_RUNS_UNTIL_MS)
    ) {
      const result = await measure(server, generators, pinning.pinned, sessionsSoFar);
      runs.push(result);
      console.log(
        `  run ${runs.length}: ${formatCount(result.handshakes)} handshakes in ${result.seconds.toFixed(2)} s = ` +
          `${formatCount(result.handshakesPerSec)}/s; server CPU ${result.serverCpuMs} ms = ` +
          `${result.serverCpuUsPerHandshake} µs/handshake (server busy ${percent(result.serverBusy)} of a core; ` +
          `generators ${result.generatorCpuUsPerHandshake} µs/handshake)`,
      );
      if (result.sessionsReported !== result.handshakes) {
        console.log(`    note: the server reported ${result.sessionsReported} sessions for ${result.handshakes} handshakes`);
      }
      if (result.foreignCpuShare > FOREIGN_CPU_WARNING) {
        console.log(
          `    warning: ${percent(result.foreignCpuShare)} of ${pinning.pinned ? `CPU ${SERVER_CPU}` : 'the machine'} went to ` +
            `other processes${result.stealShare > 0.01 ? ` (hypervisor steal ${percent(result.stealShare)})` : ''}: this run's figures are unreliable`,
        );
      }
    }

    const clean = runs.filter(isClean);
    const replaced = contendedCount(runs) > 0 && clean.length >= RUNS;
    const counted = replaced ? clean.slice(0, RUNS) : runs;
    const handshakesPerSec = median(counted.map((r) => r.handshakesPerSec));
    const serverCpuUs = median(counted.map((r) => r.serverCpuUsPerHandshake));
    const serverBusy = median(counted.map((r) => r.serverBusy));
    const generatorCpuUs = median(counted.map((r) => r.generatorCpuUsPerHandshake));
    const contended = contendedCount(runs);
    console.log(
      `  handshakes/s (median): ${formatCount(handshakesPerSec)}` +
        (serverBusy < 0.9
          ? ` (bound by the generators, ${generatorCpuUs} µs of CPU each; the server was busy ${percent(serverBusy)} of its core)`
          : ''),
    );
    console.log(
      `  server CPU per handshake (median): ${serverCpuUs} µs = ${formatCount(1e6 / serverCpuUs)} handshakes/s per core`,
    );
    if (replaced) {
      console.log(`  (${contended} contended run${contended > 1 ? 's' : ''} replaced: medians are over the ${RUNS} clean ones)`);
    } else if (contended > 0) {
      console.log(
        `  warning: ${contended} of ${runs.length} runs shared their CPU with other processes and no clean replacement ` +
          `fitted in the time budget: the medians below are unreliable`,
      );
    }
    const sessions = server.count('session');
    const disconnects = server.count('disconnect');
    const rssAfter = processRssMiB(server.pid);
    if (disconnects !== sessions) {
      console.log(
        `  note: the server printed ${formatCount(sessions)} "session" but ${formatCount(disconnects)} "disconnect" events, ` +
          `and its RSS went from ${rssBefore.toFixed(0)} to ${rssAfter.toFixed(0)} MiB over the runs`,
      );
    }

    // The reference points need the server's CPU to themselves: the real server goes first.
    await server.stop();
    server = undefined;
    const floor = await measureFloor(generators, pinning.pinned, handshakesPerSec);
    const restUs = round(serverCpuUs - floor.cryptoUs - floor.socketsUs, 1);
    console.log(`  where the ${serverCpuUs} µs go, from two reference points measured on the same CPU afterwards:`);
    console.log(`    ${floor.cryptoUs} µs: the server's half of the handshake in-process (its crypto and handshake code, no socket)`);
    console.log(
      `    ${floor.socketsUs} µs: a plain node:net server playing the same connections, bytes and rate ` +
        `(${formatCount(floor.socketsRatePerSec)}/s) with no crypto: Node's and the kernel's share`,
    );
    console.log(
      `    ${restUs} µs: parlor's own share (its transport, session set-up and close, and the garbage they leave); ` +
        `target ≤ ${TARGET_SHARE_US} µs: ${restUs <= TARGET_SHARE_US ? 'meets' : 'misses'} it`,
    );
    const tlsRatio = floor.tlsUs !== undefined ? round(serverCpuUs / floor.tlsUs, 2) : undefined;
    if (floor.tlsUs !== undefined && tlsRatio !== undefined) {
      console.log(
        `  a node:tls TLS 1.3 server (X25519, Ed25519 certificate) doing the same connections at the same rate ` +
          `(${formatCount(floor.tlsRatePerSec ?? 0)}/s): ${floor.tlsUs} µs each; parlor: ${tlsRatio}× that; ` +
          `target ≤ ${TARGET_TLS_RATIO}×: ${tlsRatio <= TARGET_TLS_RATIO ? 'meets' : 'misses'} it`,
      );
    } else {
      console.log('  (no TLS reference point: openssl, which makes its Ed25519 certificate, is missing)');
    }
    const storm = await measureReconnectStorm(pinning.server, pinning.generator);
    printStorm(storm, pinning.server !== undefined);
    console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
    console.log(
      JSON.stringify({
        bench: 'handshake',
        reconnectStorm: { ...storm, targetSeconds: TARGET_STORM_SECONDS },
        handshakesPerSec,
        serverCpuUsPerHandshake: serverCpuUs,
        parlorShareUs: restUs,
        targetParlorShareUs: TARGET_SHARE_US,
        tlsServerCpuUsPerConnection: floor.tlsUs ?? null,
        ratioToTls: tlsRatio ?? null,
        targetRatioToTls: TARGET_TLS_RATIO,
        serverHandshakesPerSecPerCore: round(1e6 / serverCpuUs),
        generatorCpuUsPerHandshake: generatorCpuUs,
        runs: counted,
        contendedRunsReplaced: replaced ? runs.filter((r) => !isClean(r)) : [],
        pinned: pinning.pinned,
        contendedRuns: contended,
        generators: GENERATORS,
        inFlightPerGenerator: IN_FLIGHT_PER_GENERATOR,
        closeAfter: CLOSE_AFTER,
        serverSessions: sessions,
        serverDisconnects: disconnects,
        serverRssMiB: { before: round(rssBefore, 1), after: round(rssAfter, 1) },
        referencePoints: { cryptoUs: floor.cryptoUs, plainSocketsUs: floor.socketsUs, plainSocketsRatePerSec: floor.socketsRatePerSec, tlsUs: floor.tlsUs ?? null, tlsRatePerSec: floor.tlsRatePerSec ?? null, restUs, sizes: floor.sizes },
        clockTicksPerSecond: clockTicksPerSecond(),
      }),
    );
  } finally {
    clearTimeout(deadline);
    await Promise.all(generators.map((generator) => generator.stop()));
    await server?.stop();
    pinning.restore();
  }
}
