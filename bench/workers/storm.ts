// Holds logged-in ChatClients for the reconnect storm (bench/reconnect-storm.ts), as its own
// process: one RSA identity logs in every client under its own name, each joins one of a few
// rooms, and each reconnects by itself (ChatClient's own backoff, defaults) when the server goes.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../../src/client/chat-client.ts';
import { constants, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import { generateClientIdentity, generateServerIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import { ServerHandshake } from '../../src/crypto/server-handshake.ts';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { encodeJsonRecord } from '../../src/protocol/records.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { inLanes } from '../lib/lanes.ts';
import type { FromStormWorker, ToStormWorker } from '../lib/storm-messages.ts';
import { serveWorker } from '../lib/worker-process.ts';

const clients: ChatClient[] = [];
/** The one RSA identity this worker's clients share (each client would have its own on a LAN). */
let identity: ClientIdentity | undefined;
let reconnected = new Set<ChatClient>();
let closedForGood: string[] = [];
let lastAt = 0;
/** Each client's last reconnect event since 'arm': where the ones not back are stuck. */
const lastStep = new Map<ChatClient, string>();
/** How many clients came back at each attempt: each failed attempt doubles the next one's delay. */
let backAtAttempt: Record<number, number> = {};
/** When each client came back (epoch ms, as lastAt). */
let backAt: number[] = [];
const attempts = new Map<ChatClient, number>();
let wake: (() => void) | undefined;

const now = () => performance.timeOrigin + performance.now();

/**
 * PARLOR_BENCH_STORM_PROFILE_DIR=DIR: a CPU profile of each worker over the storm alone (from
 * 'arm' to the end of 'wait'), since a --cpu-prof of the whole process is mostly setup and loading.
 */
const profileDir = process.env.PARLOR_BENCH_STORM_PROFILE_DIR;
let profiler: Session | undefined;

async function startProfile(): Promise<void> {
  if (!profileDir) return;
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

async function stopProfile(): Promise<void> {
  if (!profiler || !profileDir) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(join(profileDir, `storm-worker-${process.pid}.cpuprofile`), JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
}

/** Joins the room, creating it if no one has yet (another worker may win that race); a creation
 * refused for now (RATE_LIMITED: 40 rooms made at once from one address) waits as it was told. */
async function joinOrCreate(client: ChatClient, room: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await client.join(room);
      return;
    } catch (error) {
      if (!(error instanceof ParlorError) || error.code !== 'ROOM_NOT_FOUND') throw error;
    }
    try {
      await client.create(room);
      return;
    } catch (error) {
      if (!(error instanceof ParlorError)) throw error;
      if (error.code === 'RATE_LIMITED' && attempt < 20) await new Promise((resolve) => setTimeout(resolve, error.retryAfterMs ?? 1000));
      else if (error.code !== 'ROOM_EXISTS') throw error;
    }
  }
}

/** CPU time of `work` in µs (this thread's user and system time). */
function cpuUs(work: () => void): number {
  const started = process.cpuUsage();
  work();
  const used = process.cpuUsage(started);
  return used.user + used.system;
}

/**
 * What a client's crypto costs per reconnect, with no socket and no parlor code around it: a new
 * ClientHandshake (its X25519 key), the hello, and the ServerHello received (Ed25519 signature,
 * RSA-OAEP decrypt of the wrapped secret, X25519, HKDF, the finished MAC), then the welcome opened
 * and the login sealed with keys of the session. The server's half runs in between, untimed. The
 * catch-up's other frames come on top. A floor for the storm: the clients share one CPU here.
 */
function measureClientCrypto(maxHandshakes: number, maxMs: number): FromStormWorker {
  const me = identity ?? (() => { throw new Error('client-crypto before setup'); })();
  const server = generateServerIdentity();
  const welcomeKey = randomBytes(32);
  const welcome = new FrameSealer(welcomeKey).seal([encodeJsonRecord({ type: 'welcome', server: { name: 'parlor-bench', fingerprint: server.fingerprint }, you: { fingerprint: me.fingerprint } })]);
  const login = encodeJsonRecord({ type: 'login', id: 1, name: 'storm0-0', password: 'bench-storm', directSince: 0 });
  const once = (): number => {
    let hello: Buffer | undefined;
    let handshake: ClientHandshake | undefined;
    let spent = cpuUs(() => {
      handshake = new ClientHandshake(me, () => {});
      hello = handshake.start();
    });
    const outcome = new ServerHandshake(server, 'parlor-bench').receive(hello!);
    if (!('reply' in outcome)) throw new Error('the server handshake did not answer the hello');
    spent += cpuUs(() => {
      handshake!.receive(outcome.reply);
      // Fixed keys stand in for the session's (slices of the HKDF output above), new objects each time as on a connection.
      new FrameOpener(welcomeKey).open(welcome);
      new FrameSealer(randomBytes(32)).sealFrame([login]);
    });
    return spent;
  };
  for (let i = 0; i < 200; i++) once();
  let spent = 0;
  let handshakes = 0;
  const deadline = performance.now() + maxMs;
  while (handshakes < maxHandshakes && performance.now() < deadline) {
    spent += once();
    handshakes++;
  }
  const wrapped = publicEncrypt({ key: me.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, randomBytes(32));
  const decrypts = Math.max(50, Math.min(handshakes, 500));
  const rsaUs = cpuUs(() => {
    for (let i = 0; i < decrypts; i++) privateDecrypt({ key: me.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped);
  });
  return { type: 'client-crypto-done', handshakes, cpuUsPerReconnect: spent / handshakes, rsaDecryptUs: rsaUs / decrypts };
}

serveWorker<ToStormWorker, FromStormWorker>('bench/workers/storm.ts', async (message) => {
  switch (message.type) {
    case 'setup': {
      const startedAt = performance.now();
      identity = await generateClientIdentity();
      await inLanes(message.clients, message.concurrency, async (index) => {
        const client = await ChatClient.connect({
          host: message.host,
          port: message.port,
          fingerprint: message.fingerprint,
          identity: identity!,
          configDir: message.configDir,
          name: `${message.prefix}${index}`,
          password: message.password,
        });
        await joinOrCreate(client, `storm-${index % message.rooms}`);
        client.on('disconnected', () => lastStep.set(client, 'disconnected'));
        client.on('reconnecting', ({ attempt }) => {
          attempts.set(client, attempt);
          lastStep.set(client, `reconnecting (attempt ${Math.min(attempt, 5)}${attempt > 5 ? '+' : ''})`);
        });
        client.on('reconnected', () => {
          lastStep.set(client, 'reconnected');
          const attempt = attempts.get(client) ?? 0;
          backAtAttempt[attempt] = (backAtAttempt[attempt] ?? 0) + 1;
          reconnected.add(client);
          lastAt = now();
          backAt.push(lastAt);
          wake?.();
        });
        client.on('closed', ({ reason }) => {
          closedForGood.push(`${reason.code}: ${reason.message}`);
          wake?.();
        });
        clients.push(client);
      });
      return { type: 'ready', clients: clients.length, setupMs: performance.now() - startedAt };
    }
    case 'arm':
      reconnected = new Set();
      closedForGood = [];
      lastAt = 0;
      lastStep.clear();
      attempts.clear();
      backAtAttempt = {};
      backAt = [];
      await startProfile();
      return { type: 'armed' };
    case 'wait': {
      const done = () => reconnected.size + closedForGood.length >= clients.length;
      if (!done()) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, message.timeoutMs);
          wake = () => {
            if (!done()) return;
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
      await stopProfile();
      const stuck: Record<string, number> = {};
      for (const client of clients) {
        if (reconnected.has(client)) continue;
        // Logged in again (the new connection replaced the old) but not caught up: a rejoin or its catch-up waits.
        const step = `${lastStep.get(client) ?? 'no event'}${client.connected ? ', logged in again' : ''}`;
        stuck[step] = (stuck[step] ?? 0) + 1;
      }
      return { type: 'waited', reconnected: reconnected.size, closedForGood: closedForGood.length, lastAt, firstCloseReason: closedForGood[0] ?? null, stuck, backAtAttempt, backAt };
    }
    case 'client-crypto':
      return measureClientCrypto(message.maxHandshakes, message.maxMs);
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
