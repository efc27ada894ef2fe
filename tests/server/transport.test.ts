// The secure transport against a live server on 127.0.0.1: every way a peer can break the sealed
// stream closes the connection with its own reason, which both the peer and the server's event
// log see.

import { expect } from 'chai';
import { ParlorServer } from '../../src/server/server.ts';
import type { ServerEvent } from '../../src/server/events.ts';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.ts';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord } from '../../src/protocol/records.ts';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { collectFrames, handshakeErrorIn, rawPeer, rawSocket } from '../helpers/raw-peer.ts';

describe('server/transport: the sealed stream over a live server', () => {
  let server: ParlorServer;
  let events: ServerEvent[];

  beforeEach(async () => {
    events = [];
    server = await ParlorServer.start({ host: '127.0.0.1', port: 0, ephemeral: true, handshakeTimeoutMs: 400 }, (e) => events.push(e));
  });
  afterEach(() => server.stop());

  const until = async (match: (event: ServerEvent) => boolean): Promise<ServerEvent> => {
    for (let waited = 0; waited < 5000; waited += 10) {
      const found = events.find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no such server event; saw ${JSON.stringify(events)}`);
  };
  const disconnectCode = async () => ((await until((e) => e.event === 'disconnect')) as { code: string }).code;

  it('welcomes a peer that completes the handshake and answers its ping', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    peer.sendPayload(peer.seal({ id: 1, type: 'ping' }));
    for (let i = 0; i < 100 && peer.received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(peer.received[0]).to.include({ type: 'welcome' });
    expect(peer.received[1]).to.deep.equal({ type: 'reply', re: 1, data: {} });
    peer.socket.destroy();
  });

  it('closes on a replayed frame with FRAME_REPLAYED', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    const frame = peer.seal({ id: 1, type: 'ping' });
    peer.sendPayload(frame);
    peer.sendPayload(frame);
    expect(await peer.closed).to.have.property('code', 'FRAME_REPLAYED');
    expect(await disconnectCode()).to.equal('FRAME_REPLAYED');
  });

  it('closes on a reordered frame with FRAME_OUT_OF_ORDER', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    const first = peer.seal({ id: 1, type: 'ping' });
    const second = peer.seal({ id: 2, type: 'ping' });
    peer.sendPayload(second);
    peer.sendPayload(first);
    expect(await peer.closed).to.have.property('code', 'FRAME_OUT_OF_ORDER');
    expect(await disconnectCode()).to.equal('FRAME_OUT_OF_ORDER');
  });

  it('closes on an altered frame with FRAME_AUTH_FAILED', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    const frame = peer.seal({ id: 1, type: 'ping' });
    frame[12]! ^= 0x20;
    peer.sendPayload(frame);
    expect(await peer.closed).to.have.property('code', 'FRAME_AUTH_FAILED');
    expect(await disconnectCode()).to.equal('FRAME_AUTH_FAILED');
  });

  it('closes on a frame cut short (the stream ends inside it) with FRAME_TRUNCATED', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    const framed = encodeFrame(peer.seal({ id: 1, type: 'ping' }));
    peer.socket.end(framed.subarray(0, framed.length - 5));
    expect(await disconnectCode()).to.equal('FRAME_TRUNCATED');
  });

  it('closes on a record that is not JSON with BAD_MESSAGE', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    const record = Buffer.from([0, 0, 0, 3, 0x01, 0x7b, 0x7b]);
    peer.sendPayload(peer.sealer.seal([record]));
    expect(await peer.closed).to.have.property('code', 'BAD_MESSAGE');
  });

  it('answers a request that breaks its schema with BAD_REQUEST, and stays up', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    peer.sendPayload(peer.seal({ id: 1, type: 'ping', payload: 42 }, { id: 2, type: 'teleport' }, { type: 'ping' }, { id: 3, type: 'ping' }));
    for (let i = 0; i < 200 && peer.received.length < 5; i++) await new Promise((r) => setTimeout(r, 10));
    expect(peer.received.slice(1)).to.deep.equal([
      { type: 'error', re: 1, code: 'BAD_REQUEST', message: peer.received[1] && (peer.received[1] as { message: string }).message },
      { type: 'error', re: 2, code: 'UNKNOWN_TYPE', message: 'unknown request type "teleport"' },
      { type: 'error', code: 'BAD_REQUEST', message: 'a request needs a numeric id and a type' },
      { type: 'reply', re: 3, data: {} },
    ]);
    expect((peer.received[1] as { message: string }).message).to.match(/payload/);
    peer.socket.destroy();
  });

  it('caps frames before login far below the logged-in cap (FRAME_TOO_LARGE)', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    peer.sendPayload(peer.seal({ id: 1, type: 'ping', payload: 'x'.repeat(1000) }));
    const header = Buffer.alloc(4);
    header.writeUInt32BE(server.options.preLoginFrameCap + 1);
    peer.socket.write(header);
    expect(await peer.closed).to.have.property('code', 'FRAME_TOO_LARGE');
  });

  it('refuses an oversize frame during the handshake with FRAME_TOO_LARGE, told in a handshake error', async () => {
    const socket = await rawSocket(server.address.port);
    const frames = collectFrames(socket);
    socket.write(Buffer.from([0, 0x10, 0, 0]));
    expect(handshakeErrorIn(await frames)).to.have.property('code', 'FRAME_TOO_LARGE');
    expect(((await until((e) => e.event === 'handshake_failed')) as { code: string }).code).to.equal('FRAME_TOO_LARGE');
  });

  it('closes a connection that never starts the handshake at the deadline', async () => {
    const socket = await rawSocket(server.address.port);
    const frames = collectFrames(socket);
    expect(handshakeErrorIn(await frames)).to.have.property('code', 'HANDSHAKE_TIMEOUT');
    expect(((await until((e) => e.event === 'handshake_failed')) as { code: string }).code).to.equal('HANDSHAKE_TIMEOUT');
  });

  it('closes a connection that sends half a ClientHello and stalls (slow loris) at the deadline', async () => {
    const [identity] = await sharedIdentities();
    const socket = await rawSocket(server.address.port);
    const frames = collectFrames(socket);
    socket.write(encodeFrame(new ClientHandshake(identity!, () => {}).start()).subarray(0, 100));
    expect(handshakeErrorIn(await frames)).to.have.property('code', 'HANDSHAKE_TIMEOUT');
  });

  it('closes a client that answers the ServerHello but never confirms, at the deadline', async () => {
    const [identity] = await sharedIdentities();
    const socket = await rawSocket(server.address.port);
    const frames = collectFrames(socket);
    socket.write(encodeFrame(new ClientHandshake(identity!, () => {}).start()));
    const got = await frames;
    expect(got[0]![0]).to.equal(0x02);
    expect(handshakeErrorIn(got)).to.have.property('code', 'HANDSHAKE_TIMEOUT');
  });

  it('answers a client of another protocol version with UNSUPPORTED_VERSION and the versions it speaks', async () => {
    const [identity] = await sharedIdentities();
    const socket = await rawSocket(server.address.port);
    const frames = collectFrames(socket);
    socket.write(encodeFrame(new ClientHandshake(identity!, () => {}, 2).start()));
    expect(handshakeErrorIn(await frames)).to.deep.include({ code: 'UNSUPPORTED_VERSION', supportedVersions: [1] });
  });

  it('tells connected clients SERVER_SHUTDOWN when it stops', async () => {
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.address.port, identity!);
    await server.stop();
    expect(await peer.closed).to.have.property('code', 'SERVER_SHUTDOWN');
  });
});

describe('server/transport: frames pipelined with the ClientFinished', () => {
  it('answers a request sent in the same write as the ClientFinished, and reports the session close', async () => {
    const events: ServerEvent[] = [];
    const server = await ParlorServer.start({ host: '127.0.0.1', port: 0, ephemeral: true }, (e) => events.push(e));
    try {
      const [identity] = await sharedIdentities();
      const socket = await rawSocket(server.address.port);
      const handshake = new ClientHandshake(identity!, () => {});
      const decoder = new FrameDecoder(1 << 20);
      let opener: FrameOpener | undefined;
      const received: unknown[] = [];
      socket.on('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (!opener) {
            const { reply, result } = handshake.receive(frame);
            const sealer = new FrameSealer(result.keys.clientToServer);
            opener = new FrameOpener(result.keys.serverToClient);
            // One write: the ClientFinished and a sealed ping right behind it.
            socket.write(Buffer.concat([encodeFrame(reply), encodeFrame(sealer.seal([encodeJsonRecord({ id: 9, type: 'ping' })]))]));
            continue;
          }
          for (const record of decodeRecords(opener.open(frame))) received.push(parseJsonRecord(record));
        }
      });
      socket.write(encodeFrame(handshake.start()));
      for (let i = 0; i < 300 && received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(received).to.deep.include({ type: 'reply', re: 9, data: {} });
      socket.destroy();
      for (let i = 0; i < 300 && !events.some((e) => e.event === 'disconnect'); i++) await new Promise((r) => setTimeout(r, 10));
      expect(events.filter((e) => e.event === 'disconnect')).to.have.length(1);
    } finally {
      await server.stop();
    }
  });
});
