// Benchmark "handshake": full handshakes (RSA-OAEP + X25519 + Ed25519) per second against a
// `parlor serve` child on 127.0.0.1, and the server's CPU time per handshake, which is the figure
// that matters: a handshake costs the client (RSA-OAEP decrypt, ~280 µs) several times what it
// costs the server, so with two cores the generators, not the server, bound handshakes/s.
//
// Layout: the server alone on CPU 0, the generators (several processes, one RSA identity each, a
// few handshakes in flight each) and this orchestrator on CPU 1, when taskset exists. Server CPU is
// utime+stime from /proc/PID/stat, sampled when the server is idle right before and right after
// the measurement window, so the delta is exactly the window's handshakes (accept, handshake,
// welcome, close). Each run: a warm-up, then a window bounded by time and count. Median of 3.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild, track, waitForExit } from './lib/children.ts';
import type { FromHandshakeWorker, ToHandshakeWorker } from './lib/handshake-messages.ts';
import { REPO_ROOT } from './lib/paths.ts';
import { clockTicksPerSecond, getAffinity, hasTaskset, parseCpuList, pinnedCommand, processCpuMicros, setAffinity } from './lib/proc.ts';
import { startServer, type ServerProcess } from './lib/server-process.ts';
import { formatCount, median, round } from './lib/stats.ts';

const RUNS = 3;
const GENERATORS = 3;
const IN_FLIGHT_PER_GENERATOR = 4;
const WARMUP_HANDSHAKES = 210;
const WINDOW_MS = 3000;
const WINDOW_MAX_HANDSHAKES = 30_000;
/** The target: ≤ 250 µs of server CPU per handshake, i.e. ≥ 4,000 handshakes/s per core. */
const TARGET_SERVER_CPU_US = 250;
/** Hard bound on the whole bench; it normally takes ~15 s. */
const BENCH_DEADLINE_MS = 60_000;
const SERVER_CPU = 0;
const GENERATOR_CPU = 1;

interface RunResult {
  handshakes: number;
  seconds: number;
  handshakesPerSec: number;
  serverCpuMs: number;
  serverCpuUsPerHandshake: number;
  /** The server's CPU time over the window's wall time: near 1 means the server was the bottleneck. */
  serverBusy: number;
  sessionsReported: number;
}

class Generator {
  private waiting: { resolve: (message: FromHandshakeWorker) => void; reject: (error: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor(readonly child: ChildProcess) {
    child.on('message', (message: FromHandshakeWorker) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === 'error') waiting?.reject(new Error(`a generator failed: ${message.message}`));
      else waiting?.resolve(message);
    });
    child.once('exit', (code, signal) => {
      this.exited = new Error(`a generator exited (${signal ?? code})`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  /** Sends one message and resolves with the worker's answer, bounded by timeoutMs. */
  call(message: ToHandshakeWorker, timeoutMs: number): Promise<FromHandshakeWorker> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`a generator did not answer "${message.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.child.send(message);
    });
  }
}

function startGenerator(cpu: number | undefined): Generator {
  const [command, args] = pinnedCommand(cpu, process.execPath, [
    '--import',
    'tsx',
    join(REPO_ROOT, 'bench', 'workers', 'handshake.ts'),
  ]);
  return new Generator(track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
}

let nextRunId = 1;

/** Every generator handshakes until its share of `max` or `durationMs`; resolves when all are done. */
async function runGenerators(generators: readonly Generator[], max: number, durationMs: number) {
  const id = nextRunId++;
  const share = Math.ceil(max / generators.length);
  const answers = await Promise.all(
    generators.map((generator) => generator.call({ type: 'run', id, max: share, durationMs }, durationMs + 15_000)),
  );
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

/** Waits until the server has reported a session for every handshake so far, and has gone quiet. */
async function settle(server: ServerProcess, sessions: number): Promise<void> {
  await server.waitForCount('session', sessions, 10_000);
  await sleep(100);
}

async function measure(server: ServerProcess, generators: readonly Generator[], sessionsSoFar: { n: number }): Promise<RunResult> {
  sessionsSoFar.n += await runGenerators(generators, WARMUP_HANDSHAKES, 10_000);
  await settle(server, sessionsSoFar.n);

  const sessionsBefore = server.count('session');
  const cpuBefore = processCpuMicros(server.pid);
  const startedAt = performance.now();
  const handshakes = await runGenerators(generators, WINDOW_MAX_HANDSHAKES, WINDOW_MS);
  const seconds = (performance.now() - startedAt) / 1000;
  sessionsSoFar.n += handshakes;
  await settle(server, sessionsSoFar.n);
  const cpuMicros = processCpuMicros(server.pid) - cpuBefore;
  if (handshakes === 0) throw new Error('no handshake completed in the measurement window');

  return {
    handshakes,
    seconds: round(seconds, 3),
    handshakesPerSec: round(handshakes / seconds),
    serverCpuMs: round(cpuMicros / 1000, 1),
    serverCpuUsPerHandshake: round(cpuMicros / handshakes, 1),
    serverBusy: round(cpuMicros / 1e6 / seconds, 3),
    sessionsReported: server.count('session') - sessionsBefore,
  };
}

/** CPU 0 for the server, CPU 1 for the rest, if taskset exists and both CPUs are ours. */
function choosePinning(): { pinned: boolean; why: string; original?: string } {
  if (!hasTaskset()) return { pinned: false, why: 'taskset not found: running unpinned, figures are noisier' };
  const original = getAffinity(process.pid);
  const cpus = parseCpuList(original);
  if (!cpus.includes(SERVER_CPU) || !cpus.includes(GENERATOR_CPU)) {
    return { pinned: false, why: `CPUs ${SERVER_CPU} and ${GENERATOR_CPU} are not both available (affinity ${original}): running unpinned` };
  }
  return { pinned: true, why: `server on CPU ${SERVER_CPU}; generators and this orchestrator on CPU ${GENERATOR_CPU}`, original };
}

export async function run(): Promise<void> {
  const benchStarted = performance.now();
  const pinning = choosePinning();
  const deadline = setTimeout(() => {
    process.stderr.write(`handshake: still running after ${BENCH_DEADLINE_MS / 1000} s: giving up\n`);
    process.exit(1);
  }, BENCH_DEADLINE_MS);
  deadline.unref();

  console.log('handshake: full handshakes (RSA-OAEP + X25519 + Ed25519) against `parlor serve` on 127.0.0.1');
  console.log(`  pinning: ${pinning.why}`);
  console.log(
    `  ${GENERATORS} generator processes × ${IN_FLIGHT_PER_GENERATOR} in flight; per run ${WARMUP_HANDSHAKES} warm-up, ` +
      `then ${WINDOW_MS / 1000} s or ${formatCount(WINDOW_MAX_HANDSHAKES)} handshakes; median of ${RUNS}; CLK_TCK ${clockTicksPerSecond()}`,
  );

  if (pinning.pinned) setAffinity(process.pid, String(GENERATOR_CPU));
  let server: ServerProcess | undefined;
  const generators: Generator[] = [];
  try {
    server = await startServer(pinning.pinned ? { cpu: SERVER_CPU } : {});
    for (let i = 0; i < GENERATORS; i++) generators.push(startGenerator(pinning.pinned ? GENERATOR_CPU : undefined));
    const setup: ToHandshakeWorker = {
      type: 'setup',
      host: server.host,
      port: server.port,
      fingerprint: server.fingerprint,
      inFlight: IN_FLIGHT_PER_GENERATOR,
    };
    await Promise.all(generators.map((generator) => generator.call(setup, 30_000)));

    const runs: RunResult[] = [];
    const sessionsSoFar = { n: 0 };
    for (let i = 0; i < RUNS; i++) {
      const result = await measure(server, generators, sessionsSoFar);
      runs.push(result);
      console.log(
        `  run ${i + 1}: ${formatCount(result.handshakes)} handshakes in ${result.seconds.toFixed(2)} s = ` +
          `${formatCount(result.handshakesPerSec)}/s; server CPU ${result.serverCpuMs} ms = ` +
          `${result.serverCpuUsPerHandshake} µs/handshake (server busy ${Math.round(result.serverBusy * 100)}% of a core)`,
      );
      if (result.sessionsReported !== result.handshakes) {
        console.log(`    note: the server reported ${result.sessionsReported} sessions for ${result.handshakes} handshakes`);
      }
    }

    const handshakesPerSec = median(runs.map((r) => r.handshakesPerSec));
    const serverCpuUs = median(runs.map((r) => r.serverCpuUsPerHandshake));
    const serverBusy = median(runs.map((r) => r.serverBusy));
    const meets = serverCpuUs <= TARGET_SERVER_CPU_US ? 'meets' : 'MISSES';
    console.log(`  handshakes/s (median): ${formatCount(handshakesPerSec)}` +
      (serverBusy < 0.9 ? `  (bound by the generators: the server was busy ${Math.round(serverBusy * 100)}% of its core)` : ''));
    console.log(
      `  server CPU per handshake (median): ${serverCpuUs} µs = ${formatCount(1e6 / serverCpuUs)} handshakes/s per core; ` +
        `target ≤ ${TARGET_SERVER_CPU_US} µs (≥ ${formatCount(1e6 / TARGET_SERVER_CPU_US)}/s per core): ${meets} it`,
    );
    const disconnects = server.count('disconnect');
    const sessions = server.count('session');
    if (disconnects !== sessions) {
      console.log(`  note: the server printed ${formatCount(sessions)} session but ${formatCount(disconnects)} disconnect events`);
    }
    console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
    console.log(
      JSON.stringify({
        bench: 'handshake',
        handshakesPerSec,
        serverCpuUsPerHandshake: serverCpuUs,
        targetServerCpuUsPerHandshake: TARGET_SERVER_CPU_US,
        serverHandshakesPerSecPerCore: round(1e6 / serverCpuUs),
        runs,
        pinned: pinning.pinned,
        generators: GENERATORS,
        inFlightPerGenerator: IN_FLIGHT_PER_GENERATOR,
        clockTicksPerSecond: clockTicksPerSecond(),
      }),
    );
  } finally {
    clearTimeout(deadline);
    await Promise.all(
      generators.map(async (generator) => {
        if (generator.child.connected) generator.child.send({ type: 'exit' } satisfies ToHandshakeWorker);
        else await stopChild(generator.child, 'SIGTERM', 3000);
        await waitForExit(generator.child, 3000);
      }),
    );
    await server?.stop();
    if (pinning.pinned && pinning.original !== undefined) setAffinity(process.pid, pinning.original);
  }
}
