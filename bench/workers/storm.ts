// Holds logged-in ChatClients for the reconnect storm (bench/reconnect-storm.ts), as its own
// process: one RSA identity logs in every client under its own name, each joins one of a few
// rooms, and each reconnects by itself (ChatClient's own backoff, defaults) when the server goes.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ChatClient } from '../../src/client/chat-client.ts';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { inLanes } from '../lib/lanes.ts';
import type { FromStormWorker, ToStormWorker } from '../lib/storm-messages.ts';
import { serveWorker } from '../lib/worker-process.ts';

const clients: ChatClient[] = [];
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

serveWorker<ToStormWorker, FromStormWorker>('bench/workers/storm.ts', async (message) => {
  switch (message.type) {
    case 'setup': {
      const startedAt = performance.now();
      const identity = await generateClientIdentity();
      await inLanes(message.clients, message.concurrency, async (index) => {
        const client = await ChatClient.connect({
          host: message.host,
          port: message.port,
          fingerprint: message.fingerprint,
          identity,
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
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
