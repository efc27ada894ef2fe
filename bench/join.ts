// Benchmark "join": how long a fresh client waits for its `join` reply in a room with 10,000
// messages of history: the time from sending `join` to holding the parsed reply, which carries
// the room's last `--history` messages (the newest one included: checked), measured with the
// product's own ChatClient (so the client's reply parsing is in the figure, as a user sees it).
//
// The server is a real `parlor serve --json` child (SQLite store in a temp dir), alone on CPU 0;
// the clients run in this process, on CPU 1. The history goes in through the protocol: 4 clients
// create and join the room and `say` 10,000 64-byte messages (pipelined, rate limit raised); they
// stay in the room, so each join also tells them. Then 5 warm-up joins and 20 measured ones, each
// by a fresh client (its own connection, handshake and login, not timed) that closes afterwards.
// Once with the default --history 50; then the same data dir is served again with --history 500
// (a restarted server: its SQLite pages in the OS cache, its JIT cold until the warm-up joins).

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChatClient } from '../src/client/chat-client.ts';
import { generateClientIdentity, type ClientIdentity } from '../src/crypto/identity.ts';
import { choosePinning, type Pinning } from './lib/pinning.ts';
import { cpuTimes, processCpuTicks, type CpuTimes } from './lib/proc.ts';
import { startServer, type ServerProcess } from './lib/bench-server.ts';
import { formatCount, median, round } from './lib/stats.ts';
import { makeTempDir } from '../tests/helpers/temp-dir.ts';
import { benchDeadline } from './lib/deadline.ts';

const ROOM = 'backlog';
const MESSAGES = 10_000;
const FILLERS = 4;
const IN_FLIGHT_PER_FILLER = 200;
const TEXT_BYTES = 64;
const WARMUP_JOINS = 5;
const JOINS = 20;
const HISTORY_LIMITS = [50, 500] as const;
const PASSWORD = 'bench-join';
/** The issue's target for the join reply with the default history, printed and never asserted. */
const TARGET_MS = 100;
const BENCH_DEADLINE_MS = 90_000;
const FOREIGN_CPU_WARNING = 0.1;

interface JoinSeries {
  historyLimit: number;
  joinsMs: number[];
  medianMs: number;
  p90Ms: number;
  maxMs: number;
  historyMessages: number;
  replyBytes: number;
  /** Share of the server's CPU that went to other processes during the measured joins. */
  foreignCpuShare: number;
}

function serverArgs(historyLimit: number): string[] {
  return ['--password', PASSWORD, '--rate', '1000000', '--burst', '1000000', '--history', String(historyLimit)];
}

async function startBenchServer(pinning: Pinning, dataDir: string, historyLimit: number): Promise<ServerProcess> {
  return startServer({ ...(pinning.server !== undefined && { cpu: pinning.server }), dataDir, serveArgs: serverArgs(historyLimit) });
}

function clientFor(server: ServerProcess, identity: ClientIdentity, configDir: string, name: string): Promise<ChatClient> {
  return ChatClient.connect({
    host: server.host,
    port: server.port,
    fingerprint: server.fingerprint,
    configDir,
    identity,
    name,
    password: PASSWORD,
    reconnect: false,
  });
}

/** Fills the room through the protocol; resolves with the id of the last message. */
async function fill(fillers: readonly ChatClient[]): Promise<number> {
  await fillers[0]!.create(ROOM);
  for (const filler of fillers.slice(1)) await filler.join(ROOM);
  let next = 0;
  let lastId = 0;
  const lane = async (filler: ChatClient): Promise<void> => {
    while (next < MESSAGES) {
      const index = next++;
      const reply = await filler.say(ROOM, `history ${index} from ${filler.name}`.padEnd(TEXT_BYTES, '.'));
      lastId = Math.max(lastId, reply.id);
    }
  };
  await Promise.all(fillers.flatMap((filler) => Array.from({ length: IN_FLIGHT_PER_FILLER }, () => lane(filler))));
  return lastId;
}

async function joinSeries(
  server: ServerProcess,
  identity: ClientIdentity,
  configDir: string,
  historyLimit: number,
  lastId: number,
  pinning: Pinning,
  names: { next: number },
): Promise<JoinSeries> {
  const joinsMs: number[] = [];
  let replyBytes = 0;
  let historyMessages = 0;
  let cpuBefore: CpuTimes | undefined;
  let serverTicksBefore = 0;
  for (let i = 0; i < WARMUP_JOINS + JOINS; i++) {
    const client = await clientFor(server, identity, configDir, `joiner${names.next++}`);
    try {
      if (i === WARMUP_JOINS) {
        cpuBefore = cpuTimes(pinning.pinned ? pinning.serverCpu : undefined);
        serverTicksBefore = processCpuTicks(server.pid);
      }
      const startedAt = performance.now();
      const reply = await client.join(ROOM);
      const elapsed = performance.now() - startedAt;
      const newest = reply.history.at(-1)?.id;
      if (newest !== lastId) throw new Error(`the join reply's newest message is ${newest}, not ${lastId}`);
      if (reply.history.length !== Math.min(historyLimit, MESSAGES)) {
        throw new Error(`the join reply carried ${reply.history.length} messages, not ${Math.min(historyLimit, MESSAGES)}`);
      }
      if (i >= WARMUP_JOINS) joinsMs.push(elapsed);
      historyMessages = reply.history.length;
      replyBytes = Buffer.byteLength(JSON.stringify(reply));
    } finally {
      client.close();
    }
    // Let the server see the close (and tell the room) before the next client comes.
    await sleep(5);
  }
  const cpuAfter = cpuTimes(pinning.pinned ? pinning.serverCpu : undefined);
  const serverTicks = processCpuTicks(server.pid) - serverTicksBefore;
  const sorted = [...joinsMs].sort((a, b) => a - b);
  const total = cpuAfter.total - cpuBefore!.total;
  // Unpinned, the whole machine holds this process too: then this overstates others' share.
  const busy = cpuAfter.busy - cpuBefore!.busy - (cpuAfter.softirq - cpuBefore!.softirq) - serverTicks;
  return {
    historyLimit,
    joinsMs: joinsMs.map((value) => round(value, 2)),
    medianMs: round(median(joinsMs), 2),
    p90Ms: round(sorted[Math.ceil(0.9 * sorted.length) - 1]!, 2),
    maxMs: round(sorted[sorted.length - 1]!, 2),
    historyMessages,
    replyBytes,
    foreignCpuShare: total > 0 ? round(Math.max(0, busy) / total, 3) : 0,
  };
}

export async function run(): Promise<void> {
  const benchStarted = performance.now();
  const pinning = choosePinning();
  const deadline = benchDeadline('join', BENCH_DEADLINE_MS);

  console.log(`join: time from \`join\` to the parsed reply in a room with ${formatCount(MESSAGES)} messages of history; \`parlor serve --json\` (SQLite) on 127.0.0.1`);
  console.log(`  pinning: ${pinning.why}`);
  console.log(
    `  history filled through the protocol by ${FILLERS} clients (they stay in #${ROOM}); ` +
      `${WARMUP_JOINS} warm-up joins then ${JOINS} measured, each by a fresh ChatClient; --history ${HISTORY_LIMITS.join(' then ')}`,
  );
  if (pinning.pinned) pinning.pinSelf();
  const dataDir = makeTempDir('join');
  const configDir = makeTempDir('join-client');
  let server: ServerProcess | undefined;
  const fillers: ChatClient[] = [];
  const series: JoinSeries[] = [];
  let fillSeconds = 0;
  try {
    const identity = await generateClientIdentity();
    const names = { next: 0 };
    let lastId = 0;
    for (const historyLimit of HISTORY_LIMITS) {
      server = await startBenchServer(pinning, dataDir.path, historyLimit);
      if (fillers.length === 0) {
        for (let i = 0; i < FILLERS; i++) fillers.push(await clientFor(server, identity, configDir.path, `filler${i}`));
        const fillStarted = performance.now();
        lastId = await fill(fillers);
        fillSeconds = (performance.now() - fillStarted) / 1000;
        console.log(`  filled #${ROOM} with ${formatCount(MESSAGES)} messages in ${fillSeconds.toFixed(1)} s (${formatCount(MESSAGES / fillSeconds)} says/s); last id ${lastId}`);
      } else {
        // The restarted server knows the room from its store; the fillers come back into it.
        for (let i = 0; i < FILLERS; i++) {
          const filler = await clientFor(server, identity, configDir.path, `filler${i}`);
          await filler.join(ROOM);
          fillers[i] = filler;
        }
      }
      const result = await joinSeries(server, identity, configDir.path, historyLimit, lastId, pinning, names);
      series.push(result);
      console.log(
        `  --history ${historyLimit}: join reply (${result.historyMessages} messages, ${formatCount(result.replyBytes)} bytes of JSON) in ` +
          `median ${result.medianMs.toFixed(2)} ms, p90 ${result.p90Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms over ${JOINS} joins` +
          `${historyLimit === 50 ? `; target ≤ ${TARGET_MS} ms: ${result.medianMs <= TARGET_MS ? 'meets it' : 'misses it'}` : ''}` +
          `${result.foreignCpuShare > FOREIGN_CPU_WARNING ? ` [others used ${Math.round(result.foreignCpuShare * 100)}% of the server's CPU meanwhile]` : ''}`,
      );
      for (const filler of fillers) filler.close();
      await server.stop();
      server = undefined;
    }
  } finally {
    clearTimeout(deadline);
    for (const filler of fillers) filler.close();
    await server?.stop();
    dataDir.remove();
    configDir.remove();
    if (pinning.pinned) pinning.restore();
  }
  const main = series.find((s) => s.historyLimit === 50) ?? series[0]!;
  console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
  console.log(
    JSON.stringify({
      bench: 'join',
      joinMs: main.medianMs,
      targetJoinMs: TARGET_MS,
      historyMessagesInRoom: MESSAGES,
      series,
      fillSeconds: round(fillSeconds, 2),
      fillers: FILLERS,
      warmupJoins: WARMUP_JOINS,
      pinned: pinning.pinned,
    }),
  );
}
