// A socket wrapped in parlor's transport: frames in and out, the handshake first, then sealed
// records. Server and client both use it; it moves bytes and reports reasons, and knows nothing of
// chat semantics. Outgoing records are batched per event-loop turn so that everything one peer is
// owed in a turn costs one seal and one write.

import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { ClientHandshake, type ClientHandshakeResult, type ServerKeyCheck } from '../crypto/client-handshake.ts';
import type { ClientIdentity, ServerIdentity } from '../crypto/identity.ts';
import { FrameOpener, FrameSealer } from '../crypto/sealed-channel.ts';
import { ServerHandshake, type AuthenticatedClient } from '../crypto/server-handshake.ts';
import { HANDSHAKE_FRAME_CAP, RECORD_KIND_JSON, SEAL_OVERHEAD, SUPPORTED_VERSIONS } from '../protocol/constants.ts';
import { asParlorError, ParlorError, peerReason } from '../protocol/errors.ts';
import { encodeFrame, FrameDecoder } from '../protocol/frame.ts';
import { encodeHandshakeError } from '../protocol/handshake-messages.ts';
import { closingMessage } from '../protocol/messages.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord, type DecodedRecord } from '../protocol/records.ts';
import type { SessionKeys } from '../crypto/key-schedule.ts';

export interface CloseInfo {
  reason: ParlorError;
  /** True when the peer closed or said why it closed; false when this side decided. */
  remote: boolean;
}

interface Events {
  message: [message: unknown];
  /** A binary record (file transfer): its body is a view into the opened frame, not a copy. */
  record: [record: DecodedRecord];
  close: [info: CloseInfo];
}

/** How long a closing side waits for the peer to take its last frames before destroying the socket. */
const CLOSE_GRACE_MS = 2000;

/**
 * The most plaintext one sealed frame carries: records queued in one turn beyond it go in further
 * frames of the same write. File chunks can fill a turn with megabytes, and a server accepts frames
 * of at most 1 MiB from a client (frameCap); a record larger than this still goes alone.
 */
const MAX_FRAME_PLAINTEXT = 1024 * 1024 - SEAL_OVERHEAD;

/**
 * Bulk records (file chunks) move from their own queue to the socket only while less than this
 * waits unsent in the process: messages queued meanwhile then overtake them, so a transfer cannot
 * hold chat back by more than this plus what the kernel buffers.
 */
const BULK_LOW_WATER = 512 * 1024;

/**
 * Frames with at least this much plaintext are written as pieces (sealFrameParts) rather than
 * joined: below it, one buffer costs less than the extra write calls.
 */
const WRITEV_FROM_BYTES = 64 * 1024;

function recordBytes(record: Buffer | readonly Buffer[]): number {
  if (Buffer.isBuffer(record)) return record.length;
  let bytes = 0;
  for (const piece of record) bytes += piece.length;
  return bytes;
}

type Phase = 'handshake' | 'open' | 'closed';

export class SecureConnection extends EventEmitter<Events> {
  private phase: Phase = 'handshake';
  private readonly decoder = new FrameDecoder(HANDSHAKE_FRAME_CAP);
  private sealer: FrameSealer | undefined;
  private opener: FrameOpener | undefined;
  /** Records to seal; a bulk record may come as pieces (BulkRecord) that must share one frame. */
  private pending: Array<Buffer | readonly Buffer[]> = [];
  private pendingBytes = 0;
  /** Bulk records not yet handed to `pending` (see sendBulk). */
  private bulk: Array<Buffer | readonly Buffer[]> = [];
  private bulkBytes = 0;
  /** How the next flush is scheduled: this turn (setImmediate), after a short wait, or not yet. */
  private flushScheduled: 'immediate' | 'delayed' | false = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  /**
   * Records that may wait (fan-out to a busy reader) wait at most this long after the previous
   * flush, so that under load many messages share one seal and one write; 0 sends every turn.
   */
  coalesceMs = 0;
  /**
   * From the end of the handshake until the owner calls start(), received frames and the close
   * are held: the owner gets the connection a microtask after the frame that finished the
   * handshake, and frames that came in the same read must not be emitted to no one.
   */
  private held: { frames: Buffer[]; close: CloseInfo | undefined } | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private handshakeStep: ((payload: Buffer) => void) | undefined;
  private onHandshakeFailed: ((error: ParlorError) => void) | undefined;
  /** The role decides whether a failure during the handshake is told to the peer. */
  private readonly tellsHandshakeErrors: boolean;

  private constructor(
    readonly socket: Socket,
    role: 'server' | 'client',
    handshakeTimeoutMs: number,
  ) {
    super();
    this.tellsHandshakeErrors = role === 'server';
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Reasons are built only while the connection is still open: after a close these events
    // come for every connection, and an Error's stack costs microseconds that add up.
    socket.on('end', () => {
      if (this.phase === 'closed') return;
      const truncated = this.decoder.pendingBytes > 0;
      this.finish(
        truncated
          ? peerReason('FRAME_TRUNCATED', `the connection ended ${this.decoder.pendingBytes} bytes into a frame`)
          : peerReason('CONNECTION_CLOSED', 'the peer closed the connection'),
        true,
      );
    });
    socket.on('error', (cause) => {
      if (this.phase !== 'closed') this.finish(peerReason('CONNECTION_CLOSED', cause.message, { cause }), true);
    });
    socket.on('close', () => {
      if (this.phase !== 'closed') this.finish(peerReason('CONNECTION_CLOSED', 'the connection closed'), true);
    });
    this.handshakeTimer = setTimeout(
      () => this.fail(new ParlorError('HANDSHAKE_TIMEOUT', `no handshake within ${handshakeTimeoutMs} ms`)),
      handshakeTimeoutMs,
    );
    this.handshakeTimer.unref();
  }

  /** Runs the server's side of the handshake on an accepted socket. */
  static accept(
    socket: Socket,
    options: { identity: ServerIdentity; serverName: string; handshakeTimeoutMs: number; frameCap: number },
  ): Promise<{ connection: SecureConnection; client: AuthenticatedClient }> {
    const connection = new SecureConnection(socket, 'server', options.handshakeTimeoutMs);
    const handshake = new ServerHandshake(options.identity, options.serverName);
    return new Promise((resolve, reject) => {
      connection.onHandshakeFailed = reject;
      connection.handshakeStep = (payload) => {
        const outcome = handshake.receive(payload);
        if ('reply' in outcome) {
          socket.write(encodeFrame(outcome.reply));
          return;
        }
        connection.establish(outcome.result.keys.serverToClient, outcome.result.keys.clientToServer, options.frameCap);
        resolve({ connection, client: outcome.result.client });
      };
    });
  }

  /** Runs the client's side of the handshake on a connected socket. */
  static connect(
    socket: Socket,
    options: {
      identity: ClientIdentity;
      checkServerKey: ServerKeyCheck;
      handshakeTimeoutMs: number;
      frameCap: number;
      version?: number;
    },
  ): Promise<{ connection: SecureConnection; server: ClientHandshakeResult['server']; keys: SessionKeys }> {
    const connection = new SecureConnection(socket, 'client', options.handshakeTimeoutMs);
    const handshake = new ClientHandshake(options.identity, options.checkServerKey, options.version);
    return new Promise((resolve, reject) => {
      connection.onHandshakeFailed = reject;
      connection.handshakeStep = (payload) => {
        const { reply, result } = handshake.receive(payload);
        socket.write(encodeFrame(reply));
        connection.establish(result.keys.clientToServer, result.keys.serverToClient, options.frameCap);
        resolve({ connection, server: result.server, keys: result.keys });
      };
      socket.write(encodeFrame(handshake.start()));
    });
  }

  get isOpen(): boolean {
    return this.phase === 'open';
  }

  /**
   * Call once the 'message' and 'close' listeners are attached: delivers what arrived since the
   * handshake ended (frames, or the close), then delivers as it comes.
   */
  start(): void {
    const held = this.held;
    if (!held) return;
    this.held = undefined;
    try {
      for (const frame of held.frames) {
        if (this.phase !== 'open') break;
        this.receiveSealed(frame);
      }
    } catch (error) {
      this.fail(asParlorError(error, 'BAD_MESSAGE'));
    }
    if (held.close) this.emit('close', held.close);
  }

  /** Bytes accepted for sending that the kernel has not taken yet: the peer's backlog. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.bulkBytes + this.socket.writableLength;
  }

  /** The largest frame accepted from the peer from now on (raised once a client logs in). */
  setFrameCap(bytes: number): void {
    this.decoder.maxFrameBytes = bytes;
  }

  /** Queues one JSON message; it goes out sealed with whatever else is queued this turn. */
  send(message: object): void {
    this.sendRecord(encodeJsonRecord(message));
  }

  /**
   * Queues an already encoded record, so that a fan-out encodes a message once for all. A record
   * that `mayWait` (a room message to others) goes out in this turn only if this connection has not
   * flushed within `coalesceMs`; otherwise it waits for the rest of that interval with whatever
   * else comes. Replies never wait.
   */
  sendRecord(record: Buffer, mayWait = false): void {
    if (this.phase !== 'open') return;
    this.pending.push(record);
    this.pendingBytes += record.length;
    if (this.flushScheduled === 'immediate') return;
    const wait = mayWait && this.coalesceMs > 0 ? this.lastFlushAt + this.coalesceMs - performance.now() : 0;
    if (wait > 1) {
      if (this.flushScheduled === 'delayed') return;
      this.flushScheduled = 'delayed';
      this.flushTimer = setTimeout(() => this.flush(), wait);
      return;
    }
    clearTimeout(this.flushTimer);
    this.flushScheduled = 'immediate';
    setImmediate(() => this.flush());
  }

  /**
   * Queues a bulk record (a file chunk). It goes out behind everything sent with send() or
   * sendRecord(), and only as fast as the socket takes it: chat is never stuck behind a file.
   * Flow control above this (transfer credit) bounds how much can wait here.
   */
  sendBulk(record: Buffer | readonly Buffer[]): void {
    if (this.phase !== 'open') return;
    this.bulk.push(record);
    this.bulkBytes += recordBytes(record);
    this.pumpBulk();
  }

  private pumpBulk(): void {
    if (this.phase !== 'open') return;
    let moved = false;
    while (this.bulk.length > 0 && this.socket.writableLength + this.pendingBytes < BULK_LOW_WATER) {
      const record = this.bulk.shift()!;
      const bytes = recordBytes(record);
      this.bulkBytes -= bytes;
      this.pending.push(record);
      this.pendingBytes += bytes;
      moved = true;
    }
    if (moved && this.flushScheduled !== 'immediate') {
      clearTimeout(this.flushTimer);
      this.flushScheduled = 'immediate';
      setImmediate(() => this.flush());
    }
    // Otherwise a flush is due or a write is under way, and each ends by pumping again (onWritten).
  }

  /** Every sealed write ends here once the kernel has it: room for more bulk records. */
  private readonly onWritten = (): void => {
    if (this.bulk.length > 0) this.pumpBulk();
  };

  /** Tells the peer why, then closes. */
  close(code: ParlorError['code'] = 'CONNECTION_CLOSED', message?: string): void {
    this.fail(new ParlorError(code, message));
  }

  private flush(): void {
    this.flushScheduled = false;
    clearTimeout(this.flushTimer);
    this.lastFlushAt = performance.now();
    if (this.pending.length === 0 || !this.sealer || this.phase !== 'open') return;
    const records = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (total < WRITEV_FROM_BYTES && records.every(Buffer.isBuffer)) {
      this.socket.write(this.sealer.sealFrame(records as Buffer[]), this.onWritten);
      return;
    }
    // Cork, so that the frames of one turn (and the pieces of each) leave in one vectored write.
    this.socket.cork();
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for (const record of records) {
      const bytes = recordBytes(record);
      if (batch.length > 0 && batchBytes + bytes > MAX_FRAME_PLAINTEXT) {
        this.writeFrame(batch, batchBytes);
        batch = [];
        batchBytes = 0;
      }
      if (Buffer.isBuffer(record)) batch.push(record);
      else batch.push(...record);
      batchBytes += bytes;
    }
    if (batch.length > 0) this.writeFrame(batch, batchBytes);
    this.socket.uncork();
  }

  /** Seals one frame: small ones joined into one buffer, large ones written as pieces. */
  private writeFrame(parts: Buffer[], bytes: number): void {
    // Pieces only pay for a large record (a file chunk): a frame of many small chat records (a
    // reader's backlog under load) is joined and sealed in one go, as a small frame is.
    if (bytes < WRITEV_FROM_BYTES || !parts.some((part) => part.length >= WRITEV_FROM_BYTES)) {
      this.socket.write(this.sealer!.sealFrame(parts), this.onWritten);
      return;
    }
    const pieces = this.sealer!.sealFrameParts(parts);
    for (let i = 0; i < pieces.length - 1; i++) this.socket.write(pieces[i]!);
    this.socket.write(pieces[pieces.length - 1]!, this.onWritten);
  }

  private establish(sendKey: Buffer, receiveKey: Buffer, frameCap: number): void {
    clearTimeout(this.handshakeTimer);
    this.sealer = new FrameSealer(sendKey);
    this.opener = new FrameOpener(receiveKey);
    this.decoder.maxFrameBytes = frameCap;
    this.handshakeStep = undefined;
    this.onHandshakeFailed = undefined;
    this.held = { frames: [], close: undefined };
    this.phase = 'open';
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (this.phase === 'handshake') {
          this.handshakeStep?.(frame);
        } else if (this.held) {
          this.held.frames.push(frame);
        } else if (this.phase === 'open') {
          this.receiveSealed(frame);
        } else {
          return;
        }
      }
    } catch (error) {
      this.fail(asParlorError(error, this.phase === 'handshake' ? 'BAD_HANDSHAKE' : 'BAD_MESSAGE'));
    }
  }

  private receiveSealed(frame: Buffer): void {
    const plaintext = this.opener!.open(frame);
    for (const record of decodeRecords(plaintext)) {
      if (record.kind !== RECORD_KIND_JSON && this.listenerCount('record') > 0) {
        this.emit('record', record);
        if (this.phase !== 'open') return;
        continue;
      }
      const message = parseJsonRecord(record);
      // The type is looked at first: a full schema check on every record would cost each message.
      if ((message as { type?: unknown } | null)?.type === 'closing') {
        const closing = closingMessage.safeParse(message);
        this.finish(
          closing.success
            ? peerReason(closing.data.code, closing.data.message)
            : peerReason('CONNECTION_CLOSED', 'the peer closed the connection'),
          true,
        );
        return;
      }
      this.emit('message', message);
      if (this.phase !== 'open') return;
    }
  }

  /** This side decided to close: tell the peer why when there is a way to, then close. */
  private fail(reason: ParlorError): void {
    if (this.phase === 'closed') return;
    if (this.phase === 'open' && this.sealer) {
      this.pending.push(encodeJsonRecord({ type: 'closing', code: reason.code, message: reason.message }));
      this.flush();
    } else if (this.phase === 'handshake' && this.tellsHandshakeErrors) {
      const told = reason.code === 'UNSUPPORTED_VERSION'
        ? { code: reason.code, message: reason.message, supportedVersions: [...SUPPORTED_VERSIONS] }
        : { code: reason.code, message: reason.message };
      this.socket.write(encodeFrame(encodeHandshakeError(told)));
    }
    this.finish(reason, false);
    this.socket.end();
    setTimeout(() => this.socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private finish(reason: ParlorError, remote: boolean): void {
    if (this.phase === 'closed') return;
    const wasHandshake = this.phase === 'handshake';
    this.phase = 'closed';
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.flushTimer);
    this.pending = [];
    this.pendingBytes = 0;
    this.bulk = [];
    this.bulkBytes = 0;
    if (remote) this.socket.destroy();
    if (wasHandshake) this.onHandshakeFailed?.(reason);
    if (this.held) this.held.close = { reason, remote };
    else this.emit('close', { reason, remote });
  }
}
