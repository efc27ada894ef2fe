// The outbound queue over a real loopback socket: what one turn queues leaves as one sealed frame,
// chat overtakes a file's backlog, a record that may wait rides with the next one that may not, a
// last record goes out with what was pending, a record pushed now leaves at once unless others wait,
// and a closed queue sends nothing more.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { FrameDecoder } from '../../src/protocol/frame.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord } from '../../src/protocol/records.ts';
import { OutboundQueue } from '../../src/transport/outbound-queue.ts';

interface Pair {
  queue: OutboundQueue;
  sender: Socket;
  /** Resolves, once the sender's side has ended, with each frame's records (JSON) in order. */
  frames: () => Promise<unknown[][]>;
}

describe('transport/outbound-queue', () => {
  let server: Server | undefined;
  const sockets: Socket[] = [];

  afterEach(() => {
    for (const socket of sockets.splice(0)) socket.destroy();
    server?.close();
    server = undefined;
  });

  async function pair(coalesceMs = 0): Promise<Pair> {
    const key = randomBytes(32);
    const received = new Promise<unknown[][]>((resolve, reject) => {
      server = createServer((socket) => {
        sockets.push(socket);
        const decoder = new FrameDecoder(16 * 1024 * 1024);
        const opener = new FrameOpener(key);
        const frames: unknown[][] = [];
        socket.on('data', (chunk: Buffer) => {
          for (const frame of decoder.push(chunk)) frames.push(decodeRecords(opener.open(frame)).map((record) => parseJsonRecord(record)));
        });
        socket.on('end', () => resolve(frames));
        socket.on('error', reject);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as { port: number };
    const sender = connect({ host: '127.0.0.1', port });
    sockets.push(sender);
    await new Promise<void>((resolve) => sender.once('connect', resolve));
    return {
      queue: new OutboundQueue(sender, new FrameSealer(key), () => coalesceMs),
      sender,
      frames: () => {
        // The end goes behind every write already made, so every frame has arrived by then.
        setImmediate(() => sender.end());
        return received;
      },
    };
  }

  const record = (n: number | string) => encodeJsonRecord({ n });

  it('sends what one turn queues as one sealed frame, in order', async () => {
    const { queue, frames } = await pair();
    queue.push(record(1));
    queue.push(record(2));
    queue.push(record(3));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames()).to.deep.equal([[{ n: 1 }, { n: 2 }, { n: 3 }]]);
  });

  it('writes a record pushed now at once, alone, and behind whatever was queued before it', async () => {
    const { queue, sender, frames } = await pair();
    queue.pushNow(record('welcome'));
    // Already handed to the socket, before the turn ends.
    expect(sender.bytesWritten + sender.writableLength).to.be.greaterThan(0);
    queue.push(record(1));
    queue.pushNow(record(2));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames()).to.deep.equal([[{ n: 'welcome' }], [{ n: 1 }, { n: 2 }]]);
  });

  it('lets a chat record overtake a file backlog larger than the low-water mark', async () => {
    const { queue, frames } = await pair();
    const chunk = (i: number) => encodeJsonRecord({ n: `chunk ${i}`, pad: 'x'.repeat(128 * 1024) });
    for (let i = 0; i < 8; i++) queue.pushBulk(chunk(i));
    queue.push(record('chat'));
    const order: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      const poll = () => (queue.bufferedBytes === 0 ? resolve() : setTimeout(poll, 5));
      poll();
    });
    await done;
    for (const frame of await frames()) for (const message of frame) order.push((message as { n: unknown }).n);
    expect(order).to.have.length(9);
    expect(order.indexOf('chat')).to.be.below(order.indexOf('chunk 7'));
    expect(order.filter((n) => n !== 'chat')).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `chunk ${i}`));
  });

  it('holds a record that may wait until a record that may not comes, then sends both in one frame', async () => {
    const { queue, frames } = await pair(60_000);
    queue.push(record('first'));
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(record('fan-out'), true);
    await new Promise((resolve) => setImmediate(resolve));
    queue.push(record('reply'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames()).to.deep.equal([[{ n: 'first' }], [{ n: 'fan-out' }, { n: 'reply' }]]);
  });

  it('sends a last record with what was pending, then takes nothing more', async () => {
    const { queue, frames } = await pair();
    queue.push(record('pending'));
    queue.flushLast(record('closing'));
    queue.push(record('too late'));
    queue.pushBulk(record('too late too'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames()).to.deep.equal([[{ n: 'pending' }, { n: 'closing' }]]);
  });

  it('drops what is queued when closed', async () => {
    const { queue, frames } = await pair();
    queue.push(record('dropped'));
    queue.close();
    await new Promise((resolve) => setImmediate(resolve));
    expect(await frames()).to.deep.equal([]);
    expect(queue.bufferedBytes).to.equal(0);
  });
});
