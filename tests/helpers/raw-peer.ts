// A client at the byte level, for tests that must misbehave on purpose: it runs a genuine
// handshake with the library's own state machine, then lets the test write any bytes it likes,
// sealed or not, and reads what the server answers.

import { connect, type Socket } from 'node:net';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import type { ClientIdentity } from '../../src/crypto/identity.ts';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.ts';
import { decodeHandshakeError, type HandshakeErrorMessage } from '../../src/protocol/handshake-messages.ts';
import { RECORD_KIND_JSON } from '../../src/protocol/constants.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord, type DecodedRecord } from '../../src/protocol/records.ts';

export interface RawPeer {
  socket: Socket;
  sealer: FrameSealer;
  /** JSON messages received from the server, in order. */
  received: unknown[];
  /** Called with each binary record (file transfer) as it arrives; by default they are dropped. */
  onRecord: (record: DecodedRecord) => void;
  /** Seals records into one frame payload (not yet framed or sent). */
  seal(...messages: object[]): Buffer;
  sendPayload(payload: Buffer): void;
  /** Resolves with the server's closing message, or undefined if it closed without one. */
  closed: Promise<{ code: string; message: string } | undefined>;
}

export function rawSocket(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Reads whole frames from a socket until it closes; resolves with all of them. */
export function collectFrames(socket: Socket): Promise<Buffer[]> {
  const decoder = new FrameDecoder(1 << 24);
  const frames: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  return new Promise((resolve) => socket.once('close', () => resolve(frames)));
}

/** The handshake error a server sent before closing, if the frames hold one. */
export function handshakeErrorIn(frames: Buffer[]): HandshakeErrorMessage | undefined {
  const frame = frames.find((f) => f[0] === 0x7f);
  return frame && decodeHandshakeError(frame);
}

export async function rawPeer(port: number, identity: ClientIdentity): Promise<RawPeer> {
  const socket = await rawSocket(port);
  const handshake = new ClientHandshake(identity, () => {});
  const decoder = new FrameDecoder(1 << 24);
  const received: unknown[] = [];
  let opener: FrameOpener | undefined;
  let sealer: FrameSealer | undefined;
  let closing: { code: string; message: string } | undefined;

  const ready = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (!opener) {
          try {
            const { reply, result } = handshake.receive(frame);
            socket.write(encodeFrame(reply));
            sealer = new FrameSealer(result.keys.clientToServer);
            opener = new FrameOpener(result.keys.serverToClient);
          } catch (error) {
            reject(error);
          }
          continue;
        }
        for (const record of decodeRecords(opener.open(frame))) {
          if (record.kind !== RECORD_KIND_JSON) {
            peer.onRecord(record);
            continue;
          }
          const message = parseJsonRecord(record) as { type?: string; code?: string; message?: string };
          received.push(message);
          if (message.type === 'welcome') resolve(); // the server has opened its side too
          if (message.type === 'closing') closing = { code: String(message.code), message: String(message.message) };
        }
      }
    });
    socket.once('close', () => reject(new Error('closed during the handshake')));
  });
  const closed = new Promise<{ code: string; message: string } | undefined>((resolve) => socket.once('close', () => resolve(closing)));
  const peer: RawPeer = {
    socket,
    get sealer() {
      return sealer!;
    },
    received,
    onRecord: () => {},
    seal: (...messages) => sealer!.seal(messages.map(encodeJsonRecord)),
    sendPayload: (payload) => socket.write(encodeFrame(payload)),
    closed,
  };
  socket.write(encodeFrame(handshake.start()));
  await ready;
  return peer;
}
