// 100,000 random and mutated frames against a live `parlor serve`, one hostile connection each
// (a server closes a connection at its first bad frame, so more frames per connection would go
// unread). Afterwards the process must still be running and serve a real client.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { ParlorClient } from '../../src/client/client.ts';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import { encodeFrame } from '../../src/protocol/frame.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const FRAMES = 100_000;
const CONCURRENCY = 48;
const DEADLINE_MS = 240_000;

/** One hostile input: the bytes to send, and how many frames they hold. */
function hostileInput(i: number, hello: Buffer): { bytes: Buffer; frames: number } {
  switch (i % 6) {
    case 0: // random payload in a well-formed frame
      return { bytes: encodeFrame(randomBytes(i % 700)), frames: 1 };
    case 1: { // a ClientHello with a few bytes changed
      const mutated = Buffer.from(hello);
      for (let n = 0; n <= i % 3; n++) mutated[(i * 131 + n * 977) % mutated.length]! ^= 1 + (i % 255);
      return { bytes: encodeFrame(mutated), frames: 1 };
    }
    case 2: // a ClientHello cut short, or with bytes added
      return {
        bytes: encodeFrame(i % 2 ? hello.subarray(0, i % hello.length) : Buffer.concat([hello, randomBytes(1 + (i % 40))])),
        frames: 1,
      };
    case 3: // raw garbage, headers included (huge lengths among them)
      return { bytes: randomBytes(1 + (i % 64)), frames: 1 };
    case 4: // a valid ClientHello, then a random frame where the ClientFinished belongs
      return { bytes: Buffer.concat([encodeFrame(hello), encodeFrame(randomBytes(i % 3 ? 33 : i % 90))]), frames: 2 };
    default: // a valid header whose type byte claims ServerHello or an error from the client
      return { bytes: encodeFrame(Buffer.concat([Buffer.from([i % 2 ? 0x02 : 0x7f]), randomBytes(i % 400)])), frames: 1 };
  }
}

/** Sends the bytes on a fresh connection and waits for the server to close it (or 2 s). */
function sendHostile(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, 2000);
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', () => {});
    socket.on('close', done);
    socket.on('error', done);
  });
}

describe('server: fuzzing a live server', function () {
  this.timeout(DEADLINE_MS + 30_000);

  it(`survives ${FRAMES.toLocaleString('en')} random and mutated frames and still serves a real client`, async () => {
    const [identity] = await sharedIdentities();
    // A long deadline would let stalled inputs pile up; hostile inputs here end their own sockets.
    // The per-address cap would refuse most of these before the handshake: raise it so they reach it.
    const server = await startServerProcess(['--ephemeral', '--handshake-timeout', '2000', '--max-unauthenticated-per-address', '1000']);
    const hello = new ClientHandshake(identity!, () => {}).start();
    const started = Date.now();
    let sent = 0;
    let next = 0;
    const worker = async () => {
      while (sent < FRAMES && Date.now() - started < DEADLINE_MS) {
        const { bytes, frames } = hostileInput(next++, hello);
        sent += frames;
        await sendHostile(server.port, bytes);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(sent, 'frames sent before the deadline').to.be.at.least(FRAMES);
    expect(server.child.exitCode, server.stderr()).to.equal(null);
    expect(server.stderr()).to.equal('');

    const client = await ParlorClient.connect({
      host: '127.0.0.1',
      port: server.port,
      identity: identity!,
      configDir: tempDir('fuzz'),
      fingerprint: server.fingerprint,
    });
    expect(await client.ping()).to.be.a('number');
    client.close();
    const failures = server.events.filter((e) => e.event === 'handshake_failed').length;
    expect(server.events.filter((e) => e.event === 'refused')).to.have.length(0);
    console.log(`      ${sent} frames on ${next} connections in ${((Date.now() - started) / 1000).toFixed(1)} s; ${failures} handshakes refused`);
  });
});
