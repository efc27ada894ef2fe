// A fan-out load generator, run as its own process by bench/fanout.ts (pinned to the generator
// CPU). One RSA identity logs in every client of the worker under its own name (a key may hold
// many names), each client joins the room (in the phases the bench asks for), then plays one of
// three roles:
//
// - sender: sends `say` requests open-loop at the step's rate, several per frame when they fall
//   due in the same millisecond (as SecureConnection batches a turn), each text a 64-byte ASCII
//   string that starts with the step id and performance.now() at the send; it decodes what it
//   receives and counts messages, acks and errors by their records' first bytes;
// - timing: decodes every frame and parses every message, to time it from its stamp (senders and
//   timing receivers live in the same worker, so the stamp and the arrival share one clock) and to
//   measure bytes per delivery, which turns the counters' bytes into deliveries;
// - counter: after the join, reads into a shared buffer and adds up the bytes; nothing else.

import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import { encodeJsonRecord } from '../../src/protocol/records.ts';
import type { DeliveryCounts, FanoutConnect, FanoutSetup, FanoutStep, FromFanoutWorker, LatencyStats, ToFanoutWorker } from '../lib/fanout-messages.ts';
import { RawClient } from '../lib/raw-client.ts';
import { serveWorker } from '../lib/worker-process.ts';

const TEXT_BYTES = 64;
const CLIENT_TIMEOUT_MS = 20_000;
/** A sender catching up after a stall sends at most this many messages in one frame. */
const MAX_BATCH = 200;
/** Makes each message's nonce unique to this worker: a sender's request ids then make them unique. */
const runNonce = randomBytes(4).toString('hex');
/** The start of each window that throughput is not counted over (the pipeline filling up). */
const RAMP_MS = 250;
/** After the grace, how long to wait for the acks of every sent message before reporting anyway. */
const DRAIN_TIMEOUT_MS = 5000;

interface Sender {
  client: RawClient;
  sent: number;
}

let setup: FanoutSetup | undefined;
let identity: ClientIdentity | undefined;
const senders: Sender[] = [];
const timing: RawClient[] = [];
const counters: RawClient[] = [];
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** Latencies (ms) of the current step's messages at the timing receivers. */
let latencies: number[] = [];
let currentStep = -1;
let connections = 0;
/** Until the grace ends, arrivals are timed; after it, they are too late to count. */
let timingOpen = false;

function allClients(): RawClient[] {
  return [...senders.map((s) => s.client), ...timing, ...counters];
}

/**
 * Milliseconds on a clock that every process on this machine shares (the epoch, to sub-ms), so a
 * timing receiver in another worker (bench/cluster.ts: on another server) can time a stamp too.
 */
function sharedNow(): number {
  return performance.timeOrigin + performance.now();
}

function textFor(step: number, stamp: number): string {
  return `${step}|${stamp.toFixed(3)}|`.padEnd(TEXT_BYTES, '.');
}

function onTimedMessage(body: Buffer): void {
  if (!timingOpen) return;
  const arrived = sharedNow();
  const message = JSON.parse(body.toString('utf8')) as { text?: unknown };
  if (typeof message.text !== 'string') return;
  const bar = message.text.indexOf('|');
  if (Number(message.text.slice(0, bar)) !== currentStep) return;
  const stamp = Number(message.text.slice(bar + 1, message.text.indexOf('|', bar + 1)));
  latencies.push(arrived - stamp);
}

async function connectOne(role: FanoutConnect['role']): Promise<void> {
  const s = setup!;
  const index = connections++;
  const client = await RawClient.connect({
    host: s.host,
    port: s.port,
    fingerprint: s.fingerprint,
    identity: identity!,
    readBuffer,
    timeoutMs: CLIENT_TIMEOUT_MS,
    ...(s.localAddresses.length > 0 && { localAddress: s.localAddresses[index % s.localAddresses.length]! }),
  });
  const name = `${s.prefix}${role[0]}${index}`;
  await client.request('login', { name, password: s.password });
  await client.request('join', { room: s.room });
  if (role === 'sender') senders.push({ client, sent: 0 });
  else if (role === 'timing') {
    client.onMessage = onTimedMessage;
    timing.push(client);
  } else {
    client.countOnly();
    counters.push(client);
  }
}

async function doSetup(message: FanoutSetup): Promise<FromFanoutWorker> {
  const startedAt = performance.now();
  setup = message;
  identity = await generateClientIdentity();
  return { type: 'ready', setupMs: performance.now() - startedAt };
}

async function doConnect(message: FanoutConnect): Promise<FromFanoutWorker> {
  if (!setup) throw new Error('connect before setup');
  let left = message.count;
  const lane = async (): Promise<void> => {
    while (left > 0) {
      left--;
      await connectOne(message.role);
    }
  };
  await Promise.all(Array.from({ length: Math.min(setup.concurrency, message.count) }, lane));
  return { type: 'connected', clients: senders.length + timing.length + counters.length };
}

function counts(): DeliveryCounts {
  let counterBytes = 0;
  for (const client of counters) counterBytes += client.bytes;
  let timingBytes = 0;
  let timingFrames = 0;
  let timingMessages = 0;
  for (const client of timing) {
    timingBytes += client.bytes;
    timingFrames += client.frames;
    timingMessages += client.messages;
  }
  let senderMessages = 0;
  for (const sender of senders) senderMessages += sender.client.messages;
  return { counterBytes, timingBytes, timingFrames, timingMessages, senderMessages };
}

function percentile(sorted: Float64Array, expected: number, q: number): number | null {
  // Messages that never arrived rank above every arrival.
  const rank = Math.max(1, Math.ceil(q * expected));
  return rank <= sorted.length ? sorted[rank - 1]! : null;
}

function latencyStats(sentTotal: number): LatencyStats | null {
  if (timing.length === 0) return null;
  const sorted = Float64Array.from(latencies).sort();
  const expected = sentTotal * timing.length;
  const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
  return {
    expected,
    received: sorted.length,
    p50: round(percentile(sorted, expected, 0.5)),
    p90: round(percentile(sorted, expected, 0.9)),
    p99: round(percentile(sorted, expected, 0.99)),
    max: sorted.length === expected && sorted.length > 0 ? round(sorted[sorted.length - 1]!) : null,
  };
}

async function doStep(message: FanoutStep): Promise<FromFanoutWorker> {
  if (!setup) throw new Error('step before setup');
  const room = setup.room;
  for (const client of allClients()) client.resetCounts();
  for (const sender of senders) sender.sent = 0;
  latencies = [];
  currentStep = message.id;
  timingOpen = true;

  const startedAt = performance.now();
  const endsAt = startedAt + message.durationMs;
  let maxSendLagMs = 0;
  // One schedule for all senders: message m is due at m / rate and goes to sender m mod S, so the
  // offered rate holds even when each sender's share is a few messages a second.
  const rate = message.perSenderRate * senders.length;
  let scheduled = 0;
  const sendDue = (): void => {
    const now = performance.now();
    if (now >= endsAt) return;
    const due = Math.floor(((now - startedAt) / 1000) * rate) + 1;
    if (due <= scheduled) return;
    maxSendLagMs = Math.max(maxSendLagMs, ((due - scheduled - 1) / rate) * 1000);
    const batches: Buffer[][] = senders.map(() => []);
    const stamp = sharedNow();
    const text = textFor(message.id, stamp);
    for (; scheduled < due; scheduled++) {
      const index = scheduled % senders.length;
      const batch = batches[index]!;
      // A sender catching up after a stall sends at most MAX_BATCH in one frame; the rest next tick.
      if (batch.length >= MAX_BATCH) break;
      // With a nonce, as parlor's client sends every message (the server checks it is new).
      const id = senders[index]!.client.takeId();
      batch.push(encodeJsonRecord({ id, type: 'say', room, text, nonce: `${runNonce}${index}-${id}`.padEnd(16, '-') }));
    }
    senders.forEach((sender, index) => {
      const batch = batches[index]!;
      if (batch.length === 0) return;
      sender.client.sendRecords(batch);
      sender.sent += batch.length;
    });
  };
  let ticker: NodeJS.Timeout | undefined;
  if (senders.length > 0 && rate > 0) {
    sendDue();
    ticker = setInterval(sendDue, 1);
  }

  // The first part of the window is the pipeline filling up: throughput is counted after it.
  const rampMs = Math.min(RAMP_MS, message.durationMs / 4);
  await sleep(Math.max(0, startedAt + rampMs - performance.now()));
  const ramp = counts();
  await sleep(Math.max(0, endsAt - performance.now()));
  clearInterval(ticker);
  const window = counts();
  await sleep(message.graceMs);
  const grace = counts();
  timingOpen = false;
  let sent = 0;
  for (const sender of senders) sent += sender.sent;
  const latency = latencyStats(sent);

  // Wait until the server has answered every say: then it has committed and fanned out all of them.
  const answered = () => senders.reduce((sum, s) => sum + s.client.acks + s.client.errors, 0);
  const drainUntil = performance.now() + DRAIN_TIMEOUT_MS;
  while (answered() < sent && performance.now() < drainUntil && senders.every((s) => s.client.isOpen)) await sleep(20);

  let acked = 0;
  let errors = 0;
  let firstError: string | null = null;
  for (const sender of senders) {
    acked += sender.client.acks;
    errors += sender.client.errors;
    firstError ??= sender.client.firstError;
  }
  const closed = allClients().filter((client) => !client.isOpen);
  return {
    type: 'stepDone',
    id: message.id,
    sent,
    acked,
    errors,
    firstError,
    maxSendLagMs: Math.round(maxSendLagMs * 10) / 10,
    drained: acked + errors >= sent,
    rampMs,
    ramp,
    window,
    grace,
    latency,
    closedClients: closed.length,
    firstCloseReason: closed[0]?.closedReason ?? null,
    ...(message.samples === true && { samples: latencies }),
  };
}

serveWorker<ToFanoutWorker, FromFanoutWorker>('bench/workers/fanout.ts', async (message) => {
  switch (message.type) {
    case 'setup':
      return doSetup(message);
    case 'connect':
      return doConnect(message);
    case 'step':
      return doStep(message);
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
