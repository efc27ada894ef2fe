// What one connection owes its peer, from the moment the handshake gives it keys: records queued in
// an event-loop turn go out as one sealed frame and one write, chat records wait at most a short
// coalescing interval under load, and bulk records (file chunks) go behind chat, only as fast as
// the socket takes them.

import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import type { FrameSealer } from '../crypto/sealed-channel.ts';
import { SEAL_OVERHEAD, SENT_RECORDS_PER_FRAME_MAX } from '../protocol/constants.ts';

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

/** A record: one buffer, or a bulk record's pieces that must share one frame. */
export type OutboundRecord = Buffer | readonly Buffer[];

function recordBytes(record: OutboundRecord): number {
  if (Buffer.isBuffer(record)) return record.length;
  let bytes = 0;
  for (const piece of record) bytes += piece.length;
  return bytes;
}

export class OutboundQueue {
  /** Records to seal. */
  private pending: OutboundRecord[] = [];
  private pendingBytes = 0;
  /** Bulk records not yet handed to `pending` (see pushBulk). */
  private bulk: OutboundRecord[] = [];
  private bulkBytes = 0;
  /** How the next flush is scheduled: this turn (setImmediate), after a short wait, or not yet. */
  private flushScheduled: 'immediate' | 'delayed' | false = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlushAt = 0;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly sealer: FrameSealer,
    /**
     * Records that may wait (fan-out to a busy reader) wait at most this long after the previous
     * flush, so that under load many messages share one seal and one write; 0 sends every turn.
     */
    private readonly coalesceMs: () => number,
  ) {}

  /** Bytes accepted for sending that the kernel has not taken yet: the peer's backlog. */
  get bufferedBytes(): number {
    return this.pendingBytes + this.bulkBytes + this.socket.writableLength;
  }

  /**
   * Queues an encoded record. One that `mayWait` (a room message to others) goes out in this turn
   * only if the connection has not flushed within `coalesceMs`; otherwise it waits for the rest of
   * that interval with whatever else comes. Replies never wait.
   */
  push(record: Buffer, mayWait = false): void {
    if (this.closed) return;
    this.pending.push(record);
    this.pendingBytes += record.length;
    // Already due: this turn, or (for a record that may wait) at the end of the window. The fan-out
    // of a busy room takes this path for nearly every delivery, so it asks for no clock.
    if (this.flushScheduled === 'immediate' || (mayWait && this.flushScheduled === 'delayed')) return;
    const coalesceMs = mayWait ? this.coalesceMs() : 0;
    const wait = coalesceMs > 0 ? this.lastFlushAt + coalesceMs - performance.now() : 0;
    if (wait > 1) {
      this.flushScheduled = 'delayed';
      this.flushTimer = setTimeout(() => this.flush(), wait);
      return;
    }
    this.flushThisTurn();
  }

  /**
   * Seals and writes a record at once when nothing is queued or due before it, else queues it as
   * push() does. For the server's welcome: the client says nothing before it arrives, so there is
   * nothing for it to wait for, and the end-of-turn flush (setImmediate: a call into JavaScript
   * from the event loop's check phase) cost each connection a few microseconds for nothing.
   */
  pushNow(record: Buffer): void {
    if (this.closed) return;
    if (this.pending.length > 0 || this.flushScheduled !== false) {
      this.push(record);
      return;
    }
    this.lastFlushAt = performance.now();
    this.socket.write(this.sealer.sealFrame([record]), this.onWritten);
  }

  /**
   * Queues a bulk record (a file chunk). It goes out behind everything pushed with push(), and
   * only as fast as the socket takes it: chat is never stuck behind a file. Flow control above
   * this (transfer credit) bounds how much can wait here.
   */
  pushBulk(record: OutboundRecord): void {
    if (this.closed) return;
    this.bulk.push(record);
    this.bulkBytes += recordBytes(record);
    this.pumpBulk();
  }

  /** Seals and writes a last record now, with whatever is pending, then takes nothing more. */
  flushLast(record: Buffer): void {
    if (this.closed) return;
    this.pending.push(record);
    this.pendingBytes += record.length;
    this.flush();
    this.close();
  }

  /** Drops what is still queued: the connection is gone. */
  close(): void {
    this.closed = true;
    clearTimeout(this.flushTimer);
    this.pending = [];
    this.pendingBytes = 0;
    this.bulk = [];
    this.bulkBytes = 0;
  }

  private flushThisTurn(): void {
    clearTimeout(this.flushTimer);
    this.flushScheduled = 'immediate';
    setImmediate(() => this.flush());
  }

  private pumpBulk(): void {
    if (this.closed) return;
    let moved = false;
    while (this.bulk.length > 0 && this.socket.writableLength + this.pendingBytes < BULK_LOW_WATER) {
      const record = this.bulk.shift()!;
      const bytes = recordBytes(record);
      this.bulkBytes -= bytes;
      this.pending.push(record);
      this.pendingBytes += bytes;
      moved = true;
    }
    if (moved && this.flushScheduled !== 'immediate') this.flushThisTurn();
    // Otherwise a flush is due or a write is under way, and each ends by pumping again (onWritten).
  }

  /** Every sealed write ends here once the kernel has it: room for more bulk records. */
  private readonly onWritten = (): void => {
    if (this.bulk.length > 0) this.pumpBulk();
  };

  private flush(): void {
    this.flushScheduled = false;
    clearTimeout(this.flushTimer);
    this.lastFlushAt = performance.now();
    if (this.pending.length === 0 || this.closed) return;
    const records = this.pending;
    const total = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    if (total < WRITEV_FROM_BYTES && records.length <= SENT_RECORDS_PER_FRAME_MAX && records.every(Buffer.isBuffer)) {
      this.socket.write(this.sealer.sealFrame(records as Buffer[]), this.onWritten);
      return;
    }
    // Cork, so that the frames of one turn (and the pieces of each) leave in one vectored write.
    this.socket.cork();
    let batch: Buffer[] = [];
    let batchBytes = 0;
    let batchRecords = 0;
    for (const record of records) {
      const bytes = recordBytes(record);
      if (batch.length > 0 && (batchBytes + bytes > MAX_FRAME_PLAINTEXT || batchRecords >= SENT_RECORDS_PER_FRAME_MAX)) {
        this.writeFrame(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        batchRecords = 0;
      }
      if (Buffer.isBuffer(record)) batch.push(record);
      else batch.push(...record);
      batchBytes += bytes;
      batchRecords++;
    }
    if (batch.length > 0) this.writeFrame(batch, batchBytes);
    this.socket.uncork();
  }

  /** Seals one frame: small ones joined into one buffer, large ones written as pieces. */
  private writeFrame(parts: Buffer[], bytes: number): void {
    // Pieces only pay for a large record (a file chunk): a frame of many small chat records (a
    // reader's backlog under load) is joined and sealed in one go, as a small frame is.
    if (bytes < WRITEV_FROM_BYTES || !parts.some((part) => part.length >= WRITEV_FROM_BYTES)) {
      this.socket.write(this.sealer.sealFrame(parts), this.onWritten);
      return;
    }
    const pieces = this.sealer.sealFrameParts(parts);
    for (let i = 0; i < pieces.length - 1; i++) this.socket.write(pieces[i]!);
    this.socket.write(pieces[pieces.length - 1]!, this.onWritten);
  }
}
