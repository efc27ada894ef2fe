// The two reference points of the handshake bench, run as their own process on the server's CPU
// once the real server has stopped (bench/handshake.ts):
//
// - 'crypto': the server's crypto for one connection with no socket at all: ServerHandshake.receive
//   on a real ClientHello, then sealing the welcome and opening the client's closing with fresh
//   session keys, as the server's transport does (one AES-256-GCM frame each way), over and over,
//   timed with this process's CPU time (garbage collection of the key and cipher objects
//   included). What no transport can save. The two frames are counted here since a connection
//   cannot do without them either, and the TLS reference point's records are inside its figure
//   too; their JSON is made once, outside the loop, as it is parlor's code and not crypto. One
//   client key throughout, as each generator of the real runs has: the server's cache of
//   imported client keys (client-key-cache.ts) hits, as it does for a client that reconnects; a
//   client never seen costs ~35 µs more.
// - 'listen': a plain node:net server that plays the server's side of a connection byte for byte
//   (ClientHello in, ServerHello out, ClientFinished in, welcome out, closing in, close), with no
//   crypto and no parlor code. Driven by the same generators at the same rate as the real runs,
//   its CPU time is what Node and the kernel cost per connection before parlor does anything.
//   With `crypto`, a second one does the server's crypto of the 'crypto' point at the same three
//   steps as it goes: a server with no code of parlor's. Its difference from the first is what the
//   crypto costs as a live server meets it, one connection at a time among the socket work, with
//   the CPU idle in between: on this machine 30-45 % more than back to back (session 12), where
//   the caches stay warm from one handshake to the next. The share subtracts this server.
// - 'listen-tls': what a user would pick instead of parlor's handshake: a node:tls server, TLS 1.3
//   only, X25519, an Ed25519 certificate, Node's defaults otherwise (session tickets included);
//   after the TLS handshake it sends the welcome's bytes and closes on the closing's, as parlor.

import { randomBytes } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import { generateClientIdentity, generateServerIdentity } from '../../src/crypto/identity.ts';
import { ServerHandshake } from '../../src/crypto/server-handshake.ts';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { SEAL_OVERHEAD } from '../../src/protocol/constants.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { FRAME_HEADER_BYTES } from '../../src/protocol/frame.ts';
import { encodeClientFinished } from '../../src/protocol/handshake-messages.ts';
import { encodeJsonRecord } from '../../src/protocol/records.ts';
import { PARLOR_VERSION } from '../../src/version.ts';
import type { ExchangeSizes, FromFloorWorker, ToFloorWorker } from '../lib/handshake-messages.ts';
import { serveWorker } from '../lib/worker-process.ts';

const SERVER_NAME = 'parlor-bench';

/** A sealed frame's size on the wire for one JSON record, as the real server sends or receives it. */
function sealedBytes(message: object): number {
  return FRAME_HEADER_BYTES + SEAL_OVERHEAD + encodeJsonRecord(message).length;
}

function welcomeMessage(serverFingerprint: string, clientFingerprint: string): object {
  return { type: 'welcome', server: { name: SERVER_NAME, version: PARLOR_VERSION, fingerprint: serverFingerprint }, you: { fingerprint: clientFingerprint } };
}

/** What a generator's connection.close() says. */
function closingMessage(): object {
  return { type: 'closing', code: 'CONNECTION_CLOSED', message: new ParlorError('CONNECTION_CLOSED').message };
}

/** The server's crypto for one connection, in the three steps at which the server does it. */
interface CryptoTurn {
  /** ServerHandshake.receive on a real ClientHello: the ServerHello's length. */
  answerHello(): number;
  sealWelcome(): void;
  openClosing(): void;
  sizes: ExchangeSizes;
}

let turn: CryptoTurn | undefined;

async function cryptoTurn(): Promise<CryptoTurn> {
  if (turn) return turn;
  const server = generateServerIdentity();
  const identity = await generateClientIdentity();
  const hello = new ClientHandshake(identity, () => {}).start();
  const welcome = encodeJsonRecord(welcomeMessage(server.fingerprint, identity.fingerprint));
  // The client's closing, sealed once under the session key it would use (counter 0, as on every
  // connection): each connection's opener is new, so the same frame opens every time.
  const receiveKey = randomBytes(32);
  const sendKey = randomBytes(32);
  const closing = new FrameSealer(receiveKey).seal([encodeJsonRecord(closingMessage())]);
  const answerHello = () => {
    const outcome = new ServerHandshake(server, SERVER_NAME).receive(hello);
    if (!('reply' in outcome)) throw new Error('the server handshake did not answer the hello');
    return outcome.reply.length;
  };
  turn = {
    answerHello,
    // A connection's keys come from the handshake's HKDF above (slices of its output, no further
    // cost): two fixed keys stand in for them, each used by a new sealer and opener as on a connection.
    sealWelcome: () => void new FrameSealer(sendKey).sealFrame([welcome]),
    openClosing: () => void new FrameOpener(receiveKey).open(closing),
    sizes: {
      hello: FRAME_HEADER_BYTES + hello.length,
      reply: FRAME_HEADER_BYTES + answerHello(),
      finished: FRAME_HEADER_BYTES + encodeClientFinished(Buffer.alloc(32)).length,
      welcome: sealedBytes(welcomeMessage(server.fingerprint, identity.fingerprint)),
      closing: sealedBytes(closingMessage()),
    },
  };
  return turn;
}

async function measureCrypto(maxHandshakes: number, maxMs: number): Promise<FromFloorWorker> {
  const { answerHello, sealWelcome, openClosing, sizes } = await cryptoTurn();
  const once = () => {
    answerHello();
    sealWelcome();
    openClosing();
  };
  // Warm-up, so that the figure is the optimised code's, as in the real server after its warm-up.
  for (let i = 0; i < 2000; i++) once();
  const started = process.cpuUsage();
  const deadline = performance.now() + maxMs;
  let handshakes = 0;
  while (handshakes < maxHandshakes && performance.now() < deadline) {
    once();
    handshakes++;
  }
  const used = process.cpuUsage(started);
  return { type: 'crypto-done', handshakes, cpuUsPerHandshake: (used.user + used.system) / handshakes, sizes };
}

/**
 * One connection of the plain server: counts bytes and answers as the real server would, at the
 * same points; with `crypto`, doing the real server's crypto at each of them.
 */
function playServer(socket: Socket, sizes: ExchangeSizes, crypto: CryptoTurn | undefined): void {
  const reply = Buffer.alloc(sizes.reply, 1);
  const welcome = Buffer.alloc(sizes.welcome, 2);
  // What must arrive before each answer: the hello, then the finished, then the closing.
  const steps = [sizes.hello, sizes.finished, sizes.closing];
  let step = 0;
  let have = 0;
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => {
    have += chunk.length;
    while (step < steps.length && have >= steps[step]!) {
      have -= steps[step]!;
      if (step === 0) {
        crypto?.answerHello();
        socket.write(reply);
      } else if (step === 1) {
        crypto?.sealWelcome();
        socket.write(welcome);
      } else {
        crypto?.openClosing();
        // As the real server does on a client's closing record.
        socket.destroy();
      }
      step++;
    }
  });
  socket.on('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
}

/** One TLS connection: the welcome once the handshake is done, then close on the closing's bytes. */
function playTlsServer(socket: TLSSocket, sizes: ExchangeSizes): void {
  let have = 0;
  socket.setNoDelay(true);
  socket.write(Buffer.alloc(sizes.welcome, 2));
  socket.on('data', (chunk: Buffer) => {
    have += chunk.length;
    if (have >= sizes.closing) socket.destroy();
  });
  socket.on('end', () => socket.destroy());
  socket.on('error', () => socket.destroy());
}

function listenTls(sizes: ExchangeSizes, key: string, cert: string): Promise<FromFloorWorker> {
  return new Promise((resolve, reject) => {
    const server = createTlsServer({ key, cert, minVersion: 'TLSv1.3', ecdhCurve: 'X25519' }, (socket) => playTlsServer(socket, sizes));
    server.once('error', reject);
    server.on('tlsClientError', () => {});
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') return reject(new Error('the TLS server has no port'));
      resolve({ type: 'listening', host: '127.0.0.1', port: address.port });
    });
  });
}

async function listenPlain(sizes: ExchangeSizes, withCrypto: boolean): Promise<FromFloorWorker> {
  const crypto = withCrypto ? await cryptoTurn() : undefined;
  return new Promise((resolve, reject) => {
    const plain = createServer((socket) => playServer(socket, sizes, crypto));
    plain.once('error', reject);
    plain.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = plain.address();
      if (address === null || typeof address === 'string') return reject(new Error('the plain server has no port'));
      resolve({ type: 'listening', host: '127.0.0.1', port: address.port });
    });
  });
}

serveWorker<ToFloorWorker, FromFloorWorker>('bench/workers/handshake-floor.ts', async (message) => {
  switch (message.type) {
    case 'crypto':
      return measureCrypto(message.maxHandshakes, message.maxMs);
    case 'listen':
      return listenPlain(message.sizes, message.crypto === true);
    case 'listen-tls':
      return listenTls(message.sizes, message.key, message.cert);
    default:
      throw new Error(`unexpected message ${message.type}`);
  }
});
