// A socket wrapped in parlor's transport: frames in and out, the handshake first, then sealed
// records. Server and client both use it; it moves bytes and reports reasons, and knows nothing of
// chat semantics. Outgoing records are batched per event-loop turn so that everything one peer is
// owed in a turn costs one seal and one write (outbound-queue.ts).

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { ClientHandshake, type ClientHandshakeResult, type ServerKeyCheck } from '../crypto/client-handshake.ts';
import type { ClientIdentity, ServerIdentity } from '../crypto/identity.ts';
import { FrameOpener, FrameSealer } from '../crypto/sealed-channel.ts';
import { ServerHandshake, type AuthenticatedClient } from '../crypto/server-handshake.ts';
import { HANDSHAKE_FRAME_CAP, RECORD_KIND_JSON, SUPPORTED_VERSIONS } from '../protocol/constants.ts';
import { asParlorError, isErrorCode, ParlorError, peerReason, type ErrorCode } from '../protocol/errors.ts';
import { FOREIGN_PREFIX_BYTES, isHandshakeReplyType, notParlorError } from '../protocol/foreign-protocols.ts';
import { encodeFrame, FrameDecoder } from '../protocol/frame.ts';
import { encodeHandshakeError } from '../protocol/handshake-messages.ts';
import { PEER_CODE_PATTERN } from '../protocol/messages.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord, type DecodedRecord } from '../protocol/records.ts';
import type { SessionKeys } from '../crypto/key-schedule.ts';
import { OutboundQueue, type OutboundRecord } from './outbound-queue.ts';

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

type Phase = 'handshake' | 'open' | 'closed';

/** A closed connection's socket may still report an error (a reset while its last bytes leave): nobody needs it. */
function ignoreSocketError(): void {}

/**
 * closingMessage's rules (protocol/messages.ts) checked by hand: every connection ends with one,
 * read once, so zod's code for it never gets optimised (~10 µs of the server's CPU per connection,
 * measured with perf). tests/transport/closing.test.ts holds the two to the same verdicts.
 */
export function readClosing(closing: { code?: unknown; message?: unknown }): { code: string; message: string } | undefined {
  const { code, message } = closing;
  return typeof code === 'string' && PEER_CODE_PATTERN.test(code) && typeof message === 'string' ? { code, message } : undefined;
}

export class SecureConnection extends EventEmitter<Events> {
  private phase: Phase = 'handshake';
  private readonly decoder = new FrameDecoder(HANDSHAKE_FRAME_CAP);
  private opener: FrameOpener | undefined;
  /** Created with the session keys: what this side owes the peer (outbound-queue.ts). */
  private outbound: OutboundQueue | undefined;
  /**
   * Records that may wait (fan-out to a busy reader) wait at most this long after the previous
   * flush, so that under load many messages share one seal and one write; 0 sends every turn. A
   * function: the server widens the window while it is busy.
   */
  coalesceMs: () => number = () => 0;
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
  /**
   * A client's view of the server until its first handshake frame: where it is and the first
   * bytes it sent, so that something that is not parlor (an HTTP server on that port) is named
   * as such (NOT_PARLOR) instead of failing as an impossible frame.
   */
  private foreign: { address: string; first: Buffer } | undefined;

  private readonly onSocketData = (chunk: Buffer): void => this.onData(chunk);
  // Reasons are built only while the connection is still open: after a close these events
  // come for every connection, and an Error's stack costs microseconds that add up.
  private readonly onSocketEnd = (): void => {
    if (this.phase === 'closed') return;
    if (this.foreign && this.foreign.first.length > 0) return this.finish(notParlorError(this.foreign.address, this.foreign.first), true);
    const truncated = this.decoder.pendingBytes > 0;
    this.finish(
      truncated
        ? peerReason('FRAME_TRUNCATED', `the connection ended ${this.decoder.pendingBytes} bytes into a frame`)
        : peerReason('CONNECTION_CLOSED', 'the peer closed the connection'),
      true,
    );
  };
  private readonly onSocketError = (cause: Error): void => {
    if (this.phase !== 'closed') this.finish(peerReason('CONNECTION_CLOSED', cause.message, { cause }), true);
  };
  private readonly onSocketClose = (): void => {
    if (this.phase !== 'closed') this.finish(peerReason('CONNECTION_CLOSED', 'the connection closed'), true);
  };

  private constructor(
    readonly socket: Socket,
    role: 'server' | 'client',
    handshakeTimeoutMs: number,
  ) {
    super();
    this.tellsHandshakeErrors = role === 'server';
    socket.setNoDelay(true);
    socket.on('data', this.onSocketData);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketError);
    socket.on('close', this.onSocketClose);
    this.handshakeTimer = setTimeout(
      () => this.fail(this.foreign && this.foreign.first.length > 0
        ? notParlorError(this.foreign.address, this.foreign.first)
        : new ParlorError('HANDSHAKE_TIMEOUT', `no handshake within ${handshakeTimeoutMs} ms`)),
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
      /** How the server is named in a NOT_PARLOR error (default: the socket's remote address). */
      address?: string;
    },
  ): Promise<{ connection: SecureConnection; server: ClientHandshakeResult['server']; keys: SessionKeys }> {
    const connection = new SecureConnection(socket, 'client', options.handshakeTimeoutMs);
    connection.foreign = { address: options.address ?? `${socket.remoteAddress}:${socket.remotePort}`, first: Buffer.alloc(0) };
    const handshake = new ClientHandshake(options.identity, options.checkServerKey, options.version);
    return new Promise((resolve, reject) => {
      connection.onHandshakeFailed = reject;
      connection.handshakeStep = (payload) => {
        const foreign = connection.foreign;
        if (foreign && !isHandshakeReplyType(payload)) throw notParlorError(foreign.address, foreign.first);
        connection.foreign = undefined;
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
    if (held.close) this.emitClose(held.close);
  }

  /** Bytes accepted for sending that the kernel has not taken yet: the peer's backlog. */
  get bufferedBytes(): number {
    return this.outbound?.bufferedBytes ?? this.socket.writableLength;
  }

  /** Sealed frames received so far: which requests came together (rate-budget.ts). */
  framesReceived = 0;
  /** Records one received frame may carry (the server bounds it; see decodeRecords). */
  maxRecordsPerFrame = Infinity;

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
   * that `mayWait` (a room message to others) may wait up to `coalesceMs` for others to share its
   * frame; replies never wait.
   */
  sendRecord(record: Buffer, mayWait = false): void {
    if (this.phase === 'open') this.outbound!.push(record, mayWait);
  }

  /** Sends an encoded record at once, sealed alone, unless something is queued before it (outbound-queue.ts, pushNow). */
  sendRecordNow(record: Buffer): void {
    if (this.phase === 'open') this.outbound!.pushNow(record);
  }

  /**
   * Queues a bulk record (a file chunk). It goes out behind everything sent with send() or
   * sendRecord(), and only as fast as the socket takes it: chat is never stuck behind a file.
   */
  sendBulk(record: OutboundRecord): void {
    if (this.phase === 'open') this.outbound!.pushBulk(record);
  }

  /** Tells the peer why, then closes. */
  close(code: ErrorCode = 'CONNECTION_CLOSED', message?: string): void {
    this.fail(new ParlorError(code, message));
  }

  private establish(sendKey: Buffer, receiveKey: Buffer, frameCap: number): void {
    clearTimeout(this.handshakeTimer);
    this.outbound = new OutboundQueue(this.socket, new FrameSealer(sendKey), () => this.coalesceMs());
    this.opener = new FrameOpener(receiveKey);
    this.decoder.maxFrameBytes = frameCap;
    this.handshakeStep = undefined;
    this.onHandshakeFailed = undefined;
    this.held = { frames: [], close: undefined };
    this.phase = 'open';
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    if (this.foreign && this.foreign.first.length < FOREIGN_PREFIX_BYTES) {
      this.foreign.first = Buffer.concat([this.foreign.first, chunk.subarray(0, FOREIGN_PREFIX_BYTES - this.foreign.first.length)]);
    }
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
      // Before the server's first frame, a frame that cannot be (too large, say) means it is not parlor.
      const foreign = this.foreign && !(error instanceof ParlorError && error.code === 'NOT_PARLOR')
        ? notParlorError(this.foreign.address, this.foreign.first)
        : undefined;
      this.fail(foreign ?? asParlorError(error, this.phase === 'handshake' ? 'BAD_HANDSHAKE' : 'BAD_MESSAGE'));
    }
  }

  private receiveSealed(frame: Buffer): void {
    const plaintext = this.opener!.open(frame);
    this.framesReceived++;
    for (const record of decodeRecords(plaintext, this.maxRecordsPerFrame)) {
      if (record.kind !== RECORD_KIND_JSON && this.listenerCount('record') > 0) {
        this.emit('record', record);
        if (this.phase !== 'open') return;
        continue;
      }
      const message = parseJsonRecord(record);
      // The type is looked at first: a full schema check on every record would cost each message.
      if ((message as { type?: unknown } | null)?.type === 'closing') {
        const closing = readClosing(message as { code?: unknown; message?: unknown });
        this.finish(
          closing
            ? peerReason(closing.code, closing.message)
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
    if (this.phase === 'open') {
      this.outbound!.flushLast(encodeJsonRecord({ type: 'closing', code: reason.code, message: reason.message }));
    } else if (this.phase === 'handshake' && this.tellsHandshakeErrors) {
      // This side's own reason: a code it knows (one of another peer's is told as INTERNAL).
      const code = isErrorCode(reason.code) ? reason.code : 'INTERNAL';
      const told = code === 'UNSUPPORTED_VERSION'
        ? { code, message: reason.message, supportedVersions: [...SUPPORTED_VERSIONS] }
        : { code, message: reason.message };
      this.socket.write(encodeFrame(encodeHandshakeError(told)));
    }
    this.finish(reason, false);
    const socket = this.socket;
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private finish(reason: ParlorError, remote: boolean): void {
    if (this.phase === 'closed') return;
    const wasHandshake = this.phase === 'handshake';
    this.phase = 'closed';
    this.detachFromSocket();
    clearTimeout(this.handshakeTimer);
    this.outbound?.close();
    if (remote) this.socket.destroy();
    if (wasHandshake) this.onHandshakeFailed?.(reason);
    if (this.held) this.held.close = { reason, remote };
    else this.emitClose({ reason, remote });
  }

  /**
   * Once closed, this side's socket listeners have nothing left to do: they go (a no-op error
   * listener stays, as the closed ones were no-ops). A closed socket stays reachable from its
   * native handle until a full collection: V8's young-generation collections treat that handle as
   * a root, so whatever the socket reaches outlives them and is copied into the old generation.
   */
  private detachFromSocket(): void {
    this.socket.off('data', this.onSocketData);
    this.socket.off('end', this.onSocketEnd);
    this.socket.off('error', this.onSocketError);
    this.socket.off('close', this.onSocketClose);
    this.socket.on('error', ignoreSocketError);
  }

  /**
   * The one 'close', then nothing more to say: the owner's listeners and the channel's state are
   * let go, for the same reason (a session and the server's closures are reached from here).
   */
  private emitClose(info: CloseInfo): void {
    this.emit('close', info);
    this.removeAllListeners();
    this.outbound = undefined;
    this.opener = undefined;
  }
}
