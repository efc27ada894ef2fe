// Benchmark "e2e": a secret room of 20 members through a real `parlor serve --json` child (SQLite
// in a temp dir, --no-mdns), every message sealed by its sender to the 19 others (and itself)
// and opened and verified by each receiver, with the product's own ChatClient.
//
// Figures:
// - the sender's CPU per message for sealing (AES-256-GCM, 20 RSA-OAEP wraps, one RSA-PSS
//   signature), measured with process.cpuUsage over many seals; and a receiver's CPU to open one
//   (one RSA-OAEP unwrap, one PSS verify), for scale;
// - latency, one message at a time from a rotating sender: from before `say` (sealing included)
//   to the first receiver holding the opened text, and to the last of the 19; median and p99;
// - throughput: every member sends at once (a few in flight each); messages/s until all 19
//   receivers of every message have opened it.
// All 20 clients live in this one process (on CPU 1, the server alone on CPU 0 when taskset
// allows): on a 2-core machine the 19 receivers' unwraps share one CPU, where in use each member
// has a machine of its own. So the throughput is bounded by 19 × the open cost here, and the
// "last receiver" latency includes up to 19 opens one after another; both are said in the output.

import { performance } from 'node:perf_hooks';
import { ChatClient } from '../src/client/chat-client.ts';
import { E2eSession } from '../src/client/e2e/e2e.ts';
import { PeerKeys } from '../src/client/e2e/peer-keys.ts';
import { SeenEnvelopes } from '../src/client/e2e/seen-envelopes.ts';
import { generateClientIdentity, type ClientIdentity } from '../src/crypto/identity.ts';
import { benchDeadline } from './lib/deadline.ts';
import { choosePinning } from './lib/pinning.ts';
import { startServer, type ServerProcess } from './lib/bench-server.ts';
import { median, round } from './lib/stats.ts';
import { makeTempDir } from '../tests/helpers/temp-dir.ts';

const MEMBERS = 20;
const ROOM = 'vault';
const PASSWORD = 'bench-e2e';
const TEXT_BYTES = 64;
const SEAL_SAMPLES = 200;
const WARMUP_MESSAGES = 20;
const LATENCY_MESSAGES = 200;
const THROUGHPUT_PER_MEMBER = 25;
const IN_FLIGHT_PER_MEMBER = 4;
const BENCH_DEADLINE_MS = 180_000;

const p99 = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.ceil(0.99 * values.length) - 1]!;
const cpuMicros = () => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** Per-message CPU of sealing (the sender's cost) and of opening (each receiver's). */
function sealAndOpenCost(identities: readonly ClientIdentity[], configDir: string): { sealCpuUs: number; openCpuUs: number; envelopeBytes: number } {
  const [sender, receiver] = identities;
  const noop = () => {};
  const sealing = new E2eSession(sender!, new PeerKeys(configDir, 'SHA256:bench', noop), () => 'm00', new SeenEnvelopes(undefined, 'SHA256:bench'));
  const opening = new E2eSession(receiver!, new PeerKeys(configDir, 'SHA256:bench', noop), () => 'm01', new SeenEnvelopes(undefined, 'SHA256:bench'));
  const recipients = identities.slice(1).map((identity) => ({ fingerprint: identity.fingerprint, key: identity.publicKey }));
  const text = 'x'.repeat(TEXT_BYTES);
  for (let i = 0; i < 20; i++) sealing.seal('room', ROOM, text, recipients); // warm-up
  const sealed: string[] = [];
  let before = cpuMicros();
  for (let i = 0; i < SEAL_SAMPLES; i++) sealed.push(sealing.seal('room', ROOM, text, recipients).sealed);
  const sealCpuUs = (cpuMicros() - before) / SEAL_SAMPLES;
  before = cpuMicros();
  sealed.forEach((envelope, i) => {
    const opened = opening.open({ type: 'message', id: i + 1, room: ROOM, from: 'm00', text: '', ts: 0, sealed: envelope });
    if (opened.e2e?.state !== 'verified') throw new Error(`a sealed message did not open: ${JSON.stringify(opened.e2e)}`);
  });
  const openCpuUs = (cpuMicros() - before) / SEAL_SAMPLES;
  return { sealCpuUs, openCpuUs, envelopeBytes: Buffer.from(sealed[0]!, 'base64').length };
}

/** Resolves when `count` deliveries of `text` have been seen, with the times of the first and last. */
class Deliveries {
  private readonly waiting = new Map<string, { left: number; first?: number; resolve: (times: { first: number; last: number }) => void }>();

  constructor(clients: readonly ChatClient[]) {
    for (const client of clients) {
      client.on('message', (message) => {
        if (message.e2e?.state !== 'verified') throw new Error(`a member could not open a message: ${JSON.stringify(message.e2e)}`);
        const entry = this.waiting.get(message.text);
        if (!entry) return;
        const now = performance.now();
        entry.first ??= now;
        if (--entry.left === 0) {
          this.waiting.delete(message.text);
          entry.resolve({ first: entry.first, last: now });
        }
      });
    }
  }

  expect(text: string, count: number): Promise<{ first: number; last: number }> {
    return new Promise((resolve) => this.waiting.set(text, { left: count, resolve }));
  }
}

const messageText = (label: string) => label.padEnd(TEXT_BYTES, '.');

async function latency(clients: readonly ChatClient[], deliveries: Deliveries, count: number, label: string) {
  const toFirst: number[] = [];
  const toLast: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = messageText(`${label} ${i}`);
    const delivered = deliveries.expect(text, MEMBERS - 1);
    const startedAt = performance.now();
    await clients[i % MEMBERS]!.say(ROOM, text);
    const { first, last } = await delivered;
    toFirst.push(first - startedAt);
    toLast.push(last - startedAt);
  }
  return { toFirst, toLast };
}

async function throughput(clients: readonly ChatClient[], deliveries: Deliveries): Promise<{ seconds: number; messages: number }> {
  const all: Array<Promise<unknown>> = [];
  const startedAt = performance.now();
  await Promise.all(
    clients.map(async (client, member) => {
      let next = 0;
      const lane = async () => {
        while (next < THROUGHPUT_PER_MEMBER) {
          const text = messageText(`burst ${member}.${next++}`);
          all.push(deliveries.expect(text, MEMBERS - 1));
          await client.say(ROOM, text);
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT_PER_MEMBER }, lane));
    }),
  );
  await Promise.all(all);
  return { seconds: (performance.now() - startedAt) / 1000, messages: MEMBERS * THROUGHPUT_PER_MEMBER };
}

export async function run(): Promise<void> {
  const benchStarted = performance.now();
  const pinning = choosePinning();
  const deadline = benchDeadline('e2e', BENCH_DEADLINE_MS);
  console.log(`e2e: a secret room of ${MEMBERS} members through \`parlor serve --json\` (SQLite, --no-mdns) on 127.0.0.1; ${TEXT_BYTES}-byte messages`);
  console.log(`  pinning: ${pinning.why}`);
  if (pinning.pinned) pinning.pinSelf();
  const dataDir = makeTempDir('e2e');
  const configDir = makeTempDir('e2e-client');
  let server: ServerProcess | undefined;
  const clients: ChatClient[] = [];
  try {
    const identities = await Promise.all(Array.from({ length: MEMBERS }, () => generateClientIdentity()));
    const cost = sealAndOpenCost(identities, configDir.path);
    console.log(
      `  sender's CPU per message to seal (AES-256-GCM, ${MEMBERS} RSA-OAEP wraps, one RSA-PSS signature): ${round(cost.sealCpuUs / 1000, 3)} ms; ` +
        `a receiver's CPU to open and verify one: ${round(cost.openCpuUs / 1000, 3)} ms; envelope ${cost.envelopeBytes} bytes (${Math.ceil(cost.envelopeBytes / 3) * 4} in base64)`,
    );

    server = await startServer({
      ...(pinning.server !== undefined && { cpu: pinning.server }),
      dataDir: dataDir.path,
      serveArgs: ['--password', PASSWORD, '--rate', '1000000', '--burst', '1000000', '--no-discovery'],
    });
    for (const [i, identity] of identities.entries()) {
      clients.push(
        await ChatClient.connect({
          host: server.host,
          port: server.port,
          fingerprint: server.fingerprint,
          configDir: makeTempDir(`e2e-m${i}`).path,
          identity,
          name: `m${String(i).padStart(2, '0')}`,
          password: PASSWORD,
          reconnect: false,
        }),
      );
    }
    await clients[0]!.create(ROOM, undefined, { secret: true });
    for (const client of clients.slice(1)) await client.join(ROOM);
    for (const client of clients) await client.request('ping', {}); // every joined notice is in
    const deliveries = new Deliveries(clients);

    await latency(clients, deliveries, WARMUP_MESSAGES, 'warm-up');
    const { toFirst, toLast } = await latency(clients, deliveries, LATENCY_MESSAGES, 'latency');
    console.log(
      `  latency, one message at a time (${LATENCY_MESSAGES}): to the first receiver median ${round(median(toFirst), 2)} ms, p99 ${round(p99(toFirst), 2)} ms; ` +
        `to all ${MEMBERS - 1} median ${round(median(toLast), 2)} ms, p99 ${round(p99(toLast), 2)} ms (their opens run one after another in this one process)`,
    );
    const burst = await throughput(clients, deliveries);
    const perSecond = burst.messages / burst.seconds;
    console.log(
      `  throughput, all ${MEMBERS} sending (${IN_FLIGHT_PER_MEMBER} in flight each, ${burst.messages} messages): ${round(perSecond)} messages/s, ` +
        `${round(perSecond * (MEMBERS - 1))} opened deliveries/s (bounded here by the ${MEMBERS - 1} receivers' opens, ` +
        `${round((cost.openCpuUs * (MEMBERS - 1)) / 1000, 1)} ms of CPU a message, sharing one CPU)`,
    );
    console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
    console.log(
      JSON.stringify({
        bench: 'e2e',
        members: MEMBERS,
        sealCpuMs: round(cost.sealCpuUs / 1000, 3),
        openCpuMs: round(cost.openCpuUs / 1000, 3),
        envelopeBytes: cost.envelopeBytes,
        latencyFirstMedianMs: round(median(toFirst), 2),
        latencyFirstP99Ms: round(p99(toFirst), 2),
        latencyAllMedianMs: round(median(toLast), 2),
        latencyAllP99Ms: round(p99(toLast), 2),
        messagesPerSecond: round(perSecond, 1),
        pinned: pinning.pinned,
      }),
    );
  } finally {
    clearTimeout(deadline);
    for (const client of clients) client.close();
    await server?.stop();
    dataDir.remove();
    configDir.remove();
    if (pinning.pinned) pinning.restore();
  }
}
