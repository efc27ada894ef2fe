// A handshake load generator, run as its own process by bench/handshake.ts. It holds one RSA
// identity and keeps a few handshakes in flight against the server: connect to 127.0.0.1, run the
// full handshake (SecureConnection.connect: the same code ParlorClient uses, without waiting for
// the welcome), close, and wait until the server has closed its side too. The client's RSA-OAEP
// decrypt makes a generator several times dearer than the server, hence several of them.
// After 'setup-plain' it plays the same exchange, bytes only, against the plain server of
// bench/workers/handshake-floor.ts, at a given rate: the reference point for Node's own cost.

import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import type { PresentedServer } from '../../src/crypto/client-handshake.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { SecureConnection } from '../../src/transport/secure-connection.ts';
import type { ExchangeSizes, FromHandshakeWorker, ToHandshakeWorker } from '../lib/handshake-messages.ts';
import { serveWorker } from '../lib/worker-process.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 5_000;
/** How long to wait for the server to close its side after ours: past it, destroy and go on. */
const CLOSE_TIMEOUT_MS = 5_000;
/** A generator that sees this many failures stops: the server is broken, not slow. */
const MAX_FAILURES = 20;

interface Setup {
  host: string;
  port: number;
  fingerprint: string;
  inFlight: number;
  closeAfter: 'handshake' | 'welcome';
  identity: ClientIdentity;
}

interface PlainSetup {
  host: string;
  port: number;
  inFlight: number;
  sizes: ExchangeSizes;
}

let setup: Setup | undefined;
let plainSetup: PlainSetup | undefined;
let tlsSetup: PlainSetup | undefined;


function openSocket(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function oneHandshake({ host, port, fingerprint, identity, closeAfter }: Setup): Promise<void> {
  const socket = await openSocket(host, port);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let connection: SecureConnection;
  try {
    ({ connection } = await SecureConnection.connect(socket, {
      identity,
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      frameCap: 1 << 20,
      checkServerKey: (server: PresentedServer) => {
        if (server.fingerprint !== fingerprint) {
          throw new ParlorError('FINGERPRINT_MISMATCH', `the server presented ${server.fingerprint}, not ${fingerprint}`);
        }
      },
    }));
  } catch (error) {
    socket.destroy();
    throw error;
  }
  if (closeAfter === 'welcome') {
    // The server sends its welcome once the session is up; nothing else comes unasked.
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`no welcome within ${HANDSHAKE_TIMEOUT_MS} ms`));
      }, HANDSHAKE_TIMEOUT_MS);
      connection.once('message', () => {
        clearTimeout(timer);
        resolve();
      });
      connection.once('close', ({ reason }) => {
        clearTimeout(timer);
        reject(reason);
      });
      connection.start();
    });
  }
  // Says "closing" on the sealed channel and ends; the server then closes its side.
  connection.close();
  const timer = setTimeout(() => socket.destroy(), CLOSE_TIMEOUT_MS);
  await closed;
  clearTimeout(timer);
}

/**
 * One connection against the plain server: the same bytes at the same points as a handshake with
 * the welcome, and no crypto on either side.
 */
async function onePlainExchange({ host, port, sizes }: PlainSetup): Promise<void> {
  const socket = await openSocket(host, port);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the plain exchange took over ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    // What must arrive before each of our next writes: the reply, then the welcome.
    const expected = [sizes.reply, sizes.welcome];
    let step = 0;
    let have = 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      have += chunk.length;
      while (step < expected.length && have >= expected[step]!) {
        have -= expected[step]!;
        step++;
        if (step === 1) socket.write(Buffer.alloc(sizes.finished, 3));
        else socket.end(Buffer.alloc(sizes.closing, 4));
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      if (step === expected.length) resolve();
      else reject(new Error(`the plain server closed after ${have} bytes of step ${step}`));
    });
    socket.write(Buffer.alloc(sizes.hello, 5));
  });
}

/** One connection against the TLS 1.3 server: a full handshake (no resumption), the welcome, the closing. */
async function oneTlsExchange({ host, port, sizes }: PlainSetup): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    // The server's certificate is not checked: only the server's CPU is measured, not trust.
    const socket = connectTls({ host, port, minVersion: 'TLSv1.3', ecdhCurve: 'X25519', rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the TLS exchange took over ${HANDSHAKE_TIMEOUT_MS} ms`));
    }, HANDSHAKE_TIMEOUT_MS);
    let have = 0;
    let done = false;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      have += chunk.length;
      if (!done && have >= sizes.welcome) {
        done = true;
        socket.end(Buffer.alloc(sizes.closing, 4));
      }
    });
    socket.on('error', () => {});
    socket.once('close', () => {
      clearTimeout(timer);
      if (done) resolve();
      else reject(new Error(`the TLS server closed after ${have} bytes`));
    });
  });
}

async function run(id: number, max: number, durationMs: number, ratePerSec: number | undefined): Promise<FromHandshakeWorker> {
  const plain = plainSetup;
  const tls = tlsSetup;
  const current = setup;
  if (!plain && !tls && !current) throw new Error('run before setup');
  const inFlight = plain?.inFlight ?? tls?.inFlight ?? current!.inFlight;
  const startedAt = performance.now();
  const deadline = startedAt + durationMs;
  let started = 0;
  let completed = 0;
  let failed = 0;
  let firstError: string | null = null;
  const lane = async (): Promise<void> => {
    while (started < max && failed < MAX_FAILURES && performance.now() < deadline) {
      if (ratePerSec !== undefined) {
        const due = startedAt + (started / ratePerSec) * 1000;
        if (due > performance.now()) await sleep(due - performance.now());
      }
      started++;
      try {
        await (plain ? onePlainExchange(plain) : tls ? oneTlsExchange(tls) : oneHandshake(current!));
        completed++;
      } catch (error) {
        failed++;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return { type: 'done', id, completed, failed, firstError, elapsedMs: performance.now() - startedAt };
}

serveWorker<ToHandshakeWorker, FromHandshakeWorker>('bench/workers/handshake.ts', async (message) => {
  switch (message.type) {
    case 'setup': {
      const startedAt = performance.now();
      // One identity for the generator's life: set up again after each run's reference points,
      // it is the same client reconnecting, as in the runs before.
      const identity = setup?.identity ?? (await generateClientIdentity());
      const { host, port, fingerprint, inFlight, closeAfter } = message;
      setup = { host, port, fingerprint, inFlight, closeAfter, identity };
      plainSetup = undefined;
      tlsSetup = undefined;
      return { type: 'ready', setupMs: performance.now() - startedAt };
    }
    case 'setup-plain': {
      const { host, port, inFlight, sizes } = message;
      plainSetup = { host, port, inFlight, sizes };
      tlsSetup = undefined;
      return { type: 'ready', setupMs: 0 };
    }
    case 'setup-tls': {
      const { host, port, inFlight, sizes } = message;
      tlsSetup = { host, port, inFlight, sizes };
      plainSetup = undefined;
      return { type: 'ready', setupMs: 0 };
    }
    case 'run':
      return run(message.id, message.max, message.durationMs, message.ratePerSec);
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
