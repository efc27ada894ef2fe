// Benchmark "handshake": full handshakes (RSA-OAEP + X25519 + Ed25519) per second against a
// `parlor serve` child on 127.0.0.1, and the server's CPU time per handshake, which is the figure
// that matters: a handshake costs the client (RSA-OAEP decrypt, ~280 µs) several times what it
// costs the server, so with two cores the generators, not the server, bound handshakes/s.
//
// Layout: the server alone on CPU 0, the generators (several processes, one RSA identity each, a
// few handshakes in flight each) and this orchestrator on CPU 1, when taskset exists. Server CPU is
// utime+stime from /proc/PID/stat, sampled when the server is idle right before and right after
// the measurement window, so the delta is exactly the window's handshakes (accept, handshake,
// welcome, close). Each run: a warm-up, then a window bounded by time and count, then the reference
// points right after it on the same CPU at that window's rate (see measureReferences). Median of 9
// short runs (RUNS) that nothing else disturbed: the share of CPU 0 that went to other processes is measured
// from /proc/stat, and a run above 10% is redone (bounded), since this is often a shared machine.

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

/**
 * Nine runs of 1.5 s windows, not three of 3 s: on this shared machine one window's figures move
 * ±15 % from the next one's, and the share is the difference of two of them (the server, and the
 * plain server doing the crypto). Over 27 runs of three invocations of 3 runs each, one session
 * saw invocation medians from 26 to 240 µs; nine short runs pair each window with its references
 * more closely in time and give the median more to stand on, in about the same time.
 */
const RUNS = 9;
/** Runs that others' CPU load spoilt are redone, at most this many times, and not past the budget below. */
const MAX_EXTRA_RUNS = 3;
const EXTRA_RUNS_UNTIL_MS = 150_000;
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
const WINDOW_MS = 1500;
const WINDOW_MAX_HANDSHAKES = 30_000;
/**
 * The issue's targets: parlor's own share (server CPU per handshake minus the crypto and plain
 * socket reference points) ≤ 100 µs, and the server CPU per handshake ≤ 0.8× a TLS 1.3 server's.
 */
const TARGET_SHARE_US = 100;
const TARGET_TLS_RATIO = 0.8;
/** Hard bound on the whole bench; it normally takes ~105 s, ~140 s at most when runs are redone. */
const BENCH_DEADLINE_MS = 220_000;
/** Above this share of the server's CPU going to others, a run is flagged as unreliable. */
const FOREIGN_CPU_WARNING = 0.1;
/** The crypto reference point (measureReferences): in-process handshakes, bounded by count and time. */
const FLOOR_CRYPTO_HANDSHAKES = 20_000;
const FLOOR_CRYPTO_MS = 500;
/**
 * Lanes per generator for the TLS reference point: its rate is capped at the run's, so more lanes
 * only let its slower exchange keep up (with the runs' 4 it fell to ~340/s against a run's
 * ~620/s, and a server at half the rate costs more per connection). The plain exchange keeps up
 * with the runs' 4 and keeps them, so that its connections overlap as the runs' do.
 */
const TLS_IN_FLIGHT_PER_GENERATOR = 2 * IN_FLIGHT_PER_GENERATOR;
/** The plain server's warm-up at the real runs' rate, before its window (WINDOW_MS). */
const FLOOR_WARMUP_MS = 500;

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
  /** Measured right after this run's window, on the same CPU, at this run's rate. */
  references?: References;
  /** This run's server CPU per handshake minus the plain server that does the crypto (References.noParlorCodeUs). */
  parlorShareUs?: number;
  ratioToTls?: number;
  /** The plain server that does the crypto over the TLS reference point: the ratio of a server with no code of parlor's. */
  floorRatioToTls?: number;
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

interface References {
  /**
   * The plain server doing the server's crypto for each connection (its half of the handshake,
   * the welcome sealed, the closing opened) at the same points and rate: a server with no code of
   * parlor's. The share is the parlor server less this one.
   */
  noParlorCodeUs: number;
  /** The crypto as a live server meets it: noParlorCodeUs less the plain server (socketsUs). */
  cryptoUs: number;
  /** The same crypto in-process, back to back: the CPU's caches warm from one to the next, as a live server's are not. */
  cryptoTightUs: number;
  /** A plain node:net server, same connections, bytes and rate, no crypto: Node's and the kernel's share. */
  socketsUs: number;
  socketsRatePerSec: number;
  /** A node:tls TLS 1.3 server (X25519, Ed25519 certificate), same connections and rate; undefined without openssl. */
  tlsUs: number | undefined;
  tlsRatePerSec: number | undefined;
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

/** The process that serves the reference points (bench/workers/handshake-floor.ts), listening for the whole bench. */
interface Floor {
  worker: WorkerProcess<ToFloorWorker, FromFloorWorker>;
  plain: { host: string; port: number };
  /** The plain server that does the server's crypto too: a server with no code of parlor's. */
  plainWithCrypto: { host: string; port: number };
  tls: { host: string; port: number } | undefined;
  sizes: ExchangeSizes;
}

async function startFloor(pinned: boolean): Promise<Floor> {
  const worker = startWorker<ToFloorWorker, FromFloorWorker>('the reference server', 'handshake-floor.ts', pinned ? SERVER_CPU : undefined);
  const answer = async (message: ToFloorWorker, type: FromFloorWorker['type'], timeoutMs: number) => {
    const reply = await worker.call(message, timeoutMs);
    if (reply.type !== type) throw new Error(`an unexpected answer from the reference server: ${JSON.stringify(reply)}`);
    return reply;
  };
  try {
    // A short crypto run only for the exchange's sizes; each run measures its own.
    const sized = await answer({ type: 'crypto', maxHandshakes: 1, maxMs: 1 }, 'crypto-done', 60_000);
    const sizes = (sized as Extract<FromFloorWorker, { type: 'crypto-done' }>).sizes;
    const plain = (await answer({ type: 'listen', sizes }, 'listening', 10_000)) as Extract<FromFloorWorker, { type: 'listening' }>;
    const plainWithCrypto = (await answer({ type: 'listen', sizes, crypto: true }, 'listening', 10_000)) as Extract<FromFloorWorker, { type: 'listening' }>;
    const certificate = ed25519Certificate();
    const tls = certificate === undefined
      ? undefined
      : ((await answer({ type: 'listen-tls', sizes, ...certificate }, 'listening', 10_000)) as Extract<FromFloorWorker, { type: 'listening' }>);
    return { worker, plain, plainWithCrypto, tls, sizes };
  } catch (error) {
    await worker.stop();
    throw error;
  }
}

/**
 * The reference points that say where the server's CPU per handshake goes, and what TLS 1.3 costs
 * (see bench/workers/handshake-floor.ts), measured right after a run's window, on the server's
 * CPU (the parlor server idle meanwhile), with the same generators at that window's rate. Measured
 * once after all runs instead, they met other CPU contention than the runs did (on a shared
 * machine the plain server's figure moved 3× between days), and the share, a difference of three
 * figures, took all of that error.
 */
async function measureReferences(floor: Floor, generators: readonly Generator[], ratePerSec: number): Promise<References> {
  const crypto = await floor.worker.call({ type: 'crypto', maxHandshakes: FLOOR_CRYPTO_HANDSHAKES, maxMs: FLOOR_CRYPTO_MS }, 60_000);
  if (crypto.type !== 'crypto-done') throw new Error(`an unexpected answer from the reference server: ${JSON.stringify(crypto)}`);
  const pid = floor.worker.child.pid!;
  const plain = await rateMatchedWindow(pid, generators, { type: 'setup-plain', host: floor.plain.host, port: floor.plain.port, inFlight: IN_FLIGHT_PER_GENERATOR, sizes: floor.sizes }, ratePerSec);
  const withCrypto = await rateMatchedWindow(pid, generators, { type: 'setup-plain', host: floor.plainWithCrypto.host, port: floor.plainWithCrypto.port, inFlight: IN_FLIGHT_PER_GENERATOR, sizes: floor.sizes }, ratePerSec);
  const tls = floor.tls === undefined
    ? undefined
    : await rateMatchedWindow(pid, generators, { type: 'setup-tls', host: floor.tls.host, port: floor.tls.port, inFlight: TLS_IN_FLIGHT_PER_GENERATOR, sizes: floor.sizes }, ratePerSec);
  return {
    noParlorCodeUs: withCrypto.us,
    cryptoUs: round(withCrypto.us - plain.us, 1),
    cryptoTightUs: round(crypto.cpuUsPerHandshake, 1),
    socketsUs: plain.us,
    socketsRatePerSec: plain.ratePerSec,
    tlsUs: tls?.us,
    tlsRatePerSec: tls?.ratePerSec,
  };
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
      `${WINDOW_MS / 1000} s or ${formatCount(WINDOW_MAX_HANDSHAKES)} handshakes, followed by its reference points; median of ${RUNS} (CLK_TCK ${clockTicksPerSecond()})`,
  );

  pinning.pinSelf();
  let server: ServerProcess | undefined;
  let floor: Floor | undefined;
  const generators: Generator[] = [];
  try {
    server = await startServer(pinning.server !== undefined ? { cpu: pinning.server } : {});
    floor = await startFloor(pinning.pinned);
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
      const references = await measureReferences(floor, generators, result.handshakesPerSec);
      await Promise.all(generators.map((generator) => generator.call(setup, 30_000)));
      result.references = references;
      result.parlorShareUs = round(result.serverCpuUsPerHandshake - references.noParlorCodeUs, 1);
      if (references.tlsUs !== undefined) {
        result.ratioToTls = round(result.serverCpuUsPerHandshake / references.tlsUs, 2);
        result.floorRatioToTls = round(references.noParlorCodeUs / references.tlsUs, 2);
      }
      runs.push(result);
      console.log(
        `  run ${runs.length}: ${formatCount(result.handshakes)} handshakes in ${result.seconds.toFixed(2)} s = ` +
          `${formatCount(result.handshakesPerSec)}/s; server CPU ${result.serverCpuMs} ms = ` +
          `${result.serverCpuUsPerHandshake} µs/handshake (server busy ${percent(result.serverBusy)} of a core; ` +
          `generators ${result.generatorCpuUsPerHandshake} µs/handshake)`,
      );
      console.log(
        `    its references: crypto ${references.cryptoUs} µs (back to back ${references.cryptoTightUs}), plain sockets ${references.socketsUs} µs ` +
          `(${formatCount(references.socketsRatePerSec)}/s)` +
          (references.tlsUs !== undefined ? `, TLS 1.3 ${references.tlsUs} µs (${formatCount(references.tlsRatePerSec ?? 0)}/s)` : '') +
          `: parlor's own share ${result.parlorShareUs} µs` +
          (result.ratioToTls !== undefined ? `, ${result.ratioToTls}× TLS` : ''),
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

    await server.stop();
    server = undefined;
    await floor.worker.stop();
    const floorSizes = floor.sizes;
    floor = undefined;
    // Medians of each run's own figures: every share and ratio pairs a window with the reference
    // points measured right after it.
    const reference = (pick: (r: References) => number | undefined): number | undefined => {
      const values = counted.map((r) => (r.references ? pick(r.references) : undefined)).filter((v): v is number => v !== undefined);
      return values.length > 0 ? median(values) : undefined;
    };
    const cryptoUs = reference((r) => r.cryptoUs)!;
    const cryptoTightUs = reference((r) => r.cryptoTightUs)!;
    const socketsUs = reference((r) => r.socketsUs)!;
    const socketsRatePerSec = reference((r) => r.socketsRatePerSec)!;
    const tlsUs = reference((r) => r.tlsUs);
    const tlsRatePerSec = reference((r) => r.tlsRatePerSec);
    const restUs = round(median(counted.map((r) => r.parlorShareUs!)), 1);
    const ratios = counted.map((r) => r.ratioToTls).filter((v): v is number => v !== undefined);
    const tlsRatio = ratios.length > 0 ? round(median(ratios), 2) : undefined;
    const floorRatios = counted.map((r) => r.floorRatioToTls).filter((v): v is number => v !== undefined);
    const floorRatio = floorRatios.length > 0 ? round(median(floorRatios), 2) : undefined;
    console.log(`  where the ${serverCpuUs} µs go, from reference points measured on the same CPU after each run, at its rate (medians):`);
    console.log(
      `    ${cryptoUs} µs: the server's crypto (its half of the handshake, the welcome sealed and the closing opened) as a live server meets it: ` +
        `the plain server below doing it too at the same points and rate, less the plain server (back to back in-process ${cryptoTightUs} µs, the CPU's caches warm from one to the next)`,
    );
    console.log(
      `    ${socketsUs} µs: a plain node:net server playing the same connections, bytes and rate ` +
        `(${formatCount(socketsRatePerSec)}/s) with no crypto: Node's and the kernel's share`,
    );
    console.log(
      `    ${restUs} µs (the median of each run's own): parlor's own share (its transport, session set-up and close, and the garbage they leave); ` +
        `target ≤ ${TARGET_SHARE_US} µs: ${restUs <= TARGET_SHARE_US ? 'meets' : 'misses'} it`,
    );
    if (tlsUs !== undefined && tlsRatio !== undefined) {
      console.log(
        `  a node:tls TLS 1.3 server (X25519, Ed25519 certificate) doing the same connections at the same rate ` +
          `(${formatCount(tlsRatePerSec ?? 0)}/s): ${tlsUs} µs each; parlor: ${tlsRatio}× that (the median of each run's own); ` +
          `target ≤ ${TARGET_TLS_RATIO}×: ${tlsRatio <= TARGET_TLS_RATIO ? 'meets' : 'misses'} it`,
      );
      // What the ratio would be if parlor's share were nothing: its crypto (RSA-OAEP on top of what
      // TLS 1.3 does) over Node's sockets alone. A target under this one no code of parlor's reaches.
      console.log(`    reference point: the plain server doing the crypto, with no code of parlor's, is ${floorRatio}× TLS (the median of each run's own)`);
    } else {
      console.log('  (no TLS reference point: openssl, which makes its Ed25519 certificate, is missing)');
    }
    // PARLOR_BENCH_STORM=0 leaves the storm out: a quicker look at the handshake figures alone.
    const storm = process.env.PARLOR_BENCH_STORM === '0' ? undefined : await measureReconnectStorm(pinning.server, pinning.generator);
    if (storm !== undefined) printStorm(storm, pinning.server !== undefined);
    console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
    console.log(
      JSON.stringify({
        bench: 'handshake',
        reconnectStorm: storm === undefined ? null : { ...storm, targetSeconds: TARGET_STORM_SECONDS },
        handshakesPerSec,
        serverCpuUsPerHandshake: serverCpuUs,
        parlorShareUs: restUs,
        targetParlorShareUs: TARGET_SHARE_US,
        tlsServerCpuUsPerConnection: tlsUs ?? null,
        ratioToTls: tlsRatio ?? null,
        floorRatioToTls: floorRatio ?? null,
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
        referencePoints: { cryptoUs, cryptoTightUs, plainSocketsUs: socketsUs, plainSocketsRatePerSec: socketsRatePerSec, tlsUs: tlsUs ?? null, tlsRatePerSec: tlsRatePerSec ?? null, restUs, sizes: floorSizes },
        clockTicksPerSecond: clockTicksPerSecond(),
      }),
    );
  } finally {
    clearTimeout(deadline);
    await Promise.all(generators.map((generator) => generator.stop()));
    await server?.stop();
    await floor?.worker.stop();
    pinning.restore();
  }
}
