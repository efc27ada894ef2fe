// A lean parlor client for load generators, built from the product's own state machines
// (ClientHandshake, FrameSealer/FrameOpener, FrameDecoder, records), as tests/helpers/raw-peer.ts
// is. It speaks the real protocol: handshake, sealed requests, sealed replies and events. What it
// leaves out is what a generator cannot afford per delivery:
//
// - every client of a process reads into one shared buffer (net's `onread`), so a read allocates
//   nothing;
// - in "decode" mode frames are opened and records sorted by their first bytes: a chat message, a
//   reply, an error are counted without JSON.parse unless someone asked for them;
// - in "count" mode (switched to once the client has logged in and joined) nothing is decrypted:
//   the client only adds up the bytes the kernel handed over. A bench turns those bytes into
//   deliveries with a bytes-per-delivery figure that decoding clients of the same room measure.

import { connect, type Socket } from 'node:net';
import { ClientHandshake } from '../../src/crypto/client-handshake.ts';
import type { ClientIdentity } from '../../src/crypto/identity.ts';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.ts';
import { decodeRecords, encodeJsonRecord } from '../../src/protocol/records.ts';

export interface RawClientOptions {
  host: string;
  port: number;
  /** The server must present this fingerprint; anything else is refused before the secret is unwrapped. */
  fingerprint: string;
  identity: ClientIdentity;
  /** A 127.x.y.z source address, for more ephemeral ports than one address has. */
  localAddress?: string;
  /** The buffer reads land in, shared by every client of the process (copied only while decoding). */
  readBuffer: Buffer;
  /** Bounds the connect, the handshake and the welcome together, and each request. */
  timeoutMs: number;
}

const MESSAGE_PREFIX = Buffer.from('{"type":"message"');
const REPLY_PREFIX = Buffer.from('{"type":"reply"');
const ERROR_PREFIX = Buffer.from('{"type":"error"');
/** The server caps its frames at 16 MiB toward clients (docs/protocol.md), as ParlorClient does. */
const FRAME_CAP = 16 * 1024 * 1024;

function startsWith(body: Buffer, prefix: Buffer): boolean {
  return body.length >= prefix.length && body.compare(prefix, 0, prefix.length, 0, prefix.length) === 0;
}

interface Pending {
  resolve: (data: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface ServerRecord {
  type?: unknown;
  re?: unknown;
  data?: unknown;
  code?: unknown;
  message?: unknown;
}

export class RawClient {
  /** Bytes read from the socket since the last resetCounts(), in either mode. */
  bytes = 0;
  /** Decode mode only: sealed frames and chat messages received since the last resetCounts(). */
  frames = 0;
  messages = 0;
  /** Decode mode only: replies and errors that answered no request() (fire-and-forget sends). */
  acks = 0;
  errors = 0;
  firstError: string | null = null;
  /** Why the connection ended, once it has. */
  closedReason: string | null = null;
  /** Decode mode only: called with the JSON body of each chat message record. */
  onMessage: ((body: Buffer) => void) | undefined;

  private readonly socket: Socket;
  private decoder: FrameDecoder | undefined = new FrameDecoder(FRAME_CAP);
  private handshake: ClientHandshake | undefined;
  private sealer: FrameSealer | undefined;
  private opener: FrameOpener | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private welcomed: { resolve: () => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly options: RawClientOptions) {
    this.socket = connect({
      host: options.host,
      port: options.port,
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      onread: {
        buffer: options.readBuffer,
        callback: (nread: number, buffer: Uint8Array): boolean => {
          this.bytes += nread;
          if (this.decoder) this.receive(Buffer.from(buffer.subarray(0, nread)));
          return true;
        },
      },
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', (error) => this.end(`socket error: ${error.message}`));
    this.socket.on('close', () => this.end('the connection closed'));
  }

  /** Connects, runs the handshake, and resolves once the server's welcome has arrived. */
  static connect(options: RawClientOptions): Promise<RawClient> {
    const client = new RawClient(options);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        client.destroy();
        reject(new Error(`no handshake and welcome within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      client.welcomed = {
        resolve: () => {
          clearTimeout(timer);
          resolve(client);
        },
        reject: (error) => {
          clearTimeout(timer);
          client.destroy();
          reject(error);
        },
      };
      client.handshake = new ClientHandshake(options.identity, (server) => {
        if (server.fingerprint !== options.fingerprint) {
          throw new ParlorError('FINGERPRINT_MISMATCH', `the server presented ${server.fingerprint}, not ${options.fingerprint}`);
        }
      });
      client.socket.write(encodeFrame(client.handshake.start()));
    });
  }

  get isOpen(): boolean {
    return this.closedReason === null;
  }

  /** Bytes written but not yet taken by the kernel: a sender whose server fell behind piles up here. */
  get writeBacklog(): number {
    return this.socket.writableLength;
  }

  /** Sends a request and resolves with its reply's data (rejects with the server's error). */
  request(type: string, fields: Record<string, unknown> = {}): Promise<unknown> {
    if (this.closedReason !== null) return Promise.reject(new Error(this.closedReason));
    if (!this.decoder) return Promise.reject(new Error('a counting client cannot read replies'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no reply to ${type} within ${this.options.timeoutMs} ms`));
      }, this.options.timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.sendRecords([encodeJsonRecord({ ...fields, id, type })]);
    });
  }

  /** A request id for a fire-and-forget request whose answer is only counted (acks, errors). */
  takeId(): number {
    return this.nextId++;
  }

  /** Seals records into one frame and writes it, as SecureConnection does for one event-loop turn. */
  sendRecords(records: readonly Buffer[]): void {
    if (this.closedReason !== null || !this.sealer || records.length === 0) return;
    this.socket.write(encodeFrame(this.sealer.seal(records)));
  }

  /** From now on only count bytes: no decryption, no parsing. There is no way back. */
  countOnly(): void {
    this.decoder = undefined;
    this.opener = undefined;
    this.onMessage = undefined;
  }

  resetCounts(): void {
    this.bytes = 0;
    this.frames = 0;
    this.messages = 0;
    this.acks = 0;
    this.errors = 0;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    try {
      for (const frame of this.decoder!.push(chunk)) {
        if (!this.opener) {
          this.finishHandshake(frame);
          continue;
        }
        this.frames++;
        for (const record of decodeRecords(this.opener.open(frame))) this.dispatch(record.body);
        if (!this.decoder) return; // switched to counting by a handler
      }
    } catch (error) {
      this.end(`cannot read the server: ${error instanceof Error ? error.message : String(error)}`);
      this.socket.destroy();
    }
  }

  private finishHandshake(frame: Buffer): void {
    const { reply, result } = this.handshake!.receive(frame);
    this.handshake = undefined;
    this.socket.write(encodeFrame(reply));
    this.sealer = new FrameSealer(result.keys.clientToServer);
    this.opener = new FrameOpener(result.keys.serverToClient);
  }

  private dispatch(body: Buffer): void {
    if (startsWith(body, MESSAGE_PREFIX)) {
      this.messages++;
      this.onMessage?.(body);
      return;
    }
    const isReply = startsWith(body, REPLY_PREFIX);
    const isError = !isReply && startsWith(body, ERROR_PREFIX);
    if ((isReply || isError) && this.pending.size === 0) {
      if (isReply) {
        this.acks++;
      } else {
        this.errors++;
        this.firstError ??= body.toString('utf8').slice(0, 200);
      }
      return;
    }
    const record = JSON.parse(body.toString('utf8')) as ServerRecord;
    if (record.type === 'reply' || record.type === 'error') {
      const pending = typeof record.re === 'number' ? this.pending.get(record.re) : undefined;
      if (!pending) {
        if (record.type === 'reply') this.acks++;
        else this.errors++;
        return;
      }
      this.pending.delete(record.re as number);
      clearTimeout(pending.timer);
      if (record.type === 'reply') pending.resolve(record.data);
      else pending.reject(new Error(`${String(record.code)}: ${String(record.message)}`));
    } else if (record.type === 'welcome') {
      this.welcomed?.resolve();
      this.welcomed = undefined;
    } else if (record.type === 'closing') {
      this.end(`the server closed the connection: ${String(record.code)}: ${String(record.message)}`);
    }
    // 'joined' and 'left' notices: nothing to do.
  }

  private end(reason: string): void {
    if (this.closedReason !== null) return;
    this.closedReason = reason;
    const error = new Error(reason);
    this.welcomed?.reject(error);
    this.welcomed = undefined;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.pending.clear();
  }
}
