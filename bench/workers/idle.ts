// Holds idle sessions for bench/idle.ts, as its own process on the generator CPU: one RSA identity
// logs in every session under its own name (a key may hold many names), a bounded number
// handshaking at a time; then each session sits there, in no room, reading (and only counting)
// whatever the server might send. The client's RSA-OAEP decrypt (~280 µs) is most of the cost.

import { performance } from 'node:perf_hooks';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import type { FromIdleWorker, ToIdleWorker } from '../lib/idle-messages.ts';
import { inLanes } from '../lib/lanes.ts';
import { RawClient } from '../lib/raw-client.ts';
import { serveWorker } from '../lib/worker-process.ts';

const CLIENT_TIMEOUT_MS = 20_000;
const clients: RawClient[] = [];
const readBuffer = Buffer.allocUnsafe(64 * 1024);

serveWorker<ToIdleWorker, FromIdleWorker>('bench/workers/idle.ts', async (message) => {
  switch (message.type) {
    case 'setup': {
      const startedAt = performance.now();
      const identity = await generateClientIdentity();
      await inLanes(message.sessions, message.concurrency, async (index) => {
        const client = await RawClient.connect({
          host: message.host,
          port: message.port,
          fingerprint: message.fingerprint,
          identity,
          readBuffer,
          timeoutMs: CLIENT_TIMEOUT_MS,
          ...(message.localAddresses.length > 0 && { localAddress: message.localAddresses[index % message.localAddresses.length]! }),
        });
        await client.request('login', { name: `${message.prefix}${index}`, password: message.password });
        client.countOnly();
        clients.push(client);
      });
      return { type: 'ready', sessions: clients.length, setupMs: performance.now() - startedAt };
    }
    case 'status': {
      const closed = clients.filter((client) => !client.isOpen);
      return { type: 'status', open: clients.length - closed.length, firstCloseReason: closed[0]?.closedReason ?? null };
    }
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
