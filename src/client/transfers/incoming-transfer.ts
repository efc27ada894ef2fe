// Receiving one file: a temp file in the downloads dir (created exclusively, mode 0600), chunks
// written in order as they come, the size and SHA-256 checked at the end, then a move to a safe
// name that never replaces an existing file. Each chunk written is reported to the server as
// credit (a window record), so the sender can never get more than a window ahead of this disk.
// Whatever ends the transfer early (a cancel from either side, a bad chunk, a lost connection)
// deletes the temp file: no partial file is left behind. A sealed transfer's chunks are each opened
// at the index and offset due (file-chunks.ts); one that does not open ends it (E2E_CHUNK_REJECTED).

import { createHash, randomBytes, type Hash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ParlorError, asParlorError, isErrorCode } from '../../protocol/errors.ts';
import type { Request } from '../../protocol/messages.ts';
import type { FileCancelledMessage } from '../../protocol/transfer-messages.ts';
import { CHUNK_FLAG_DEFLATED, CHUNK_FLAG_LAST, CHUNK_FLAG_SEALED, encodeWindowRecord, type ChunkRecord } from '../../protocol/transfer-records.ts';
import { FileChunkOpener } from '../../crypto/file-chunks.ts';
import type { OfferDetails } from './file-offer.ts';
import type { ChatClient } from '../chat-client.ts';
import { inflateChunk } from './chunk-compression.ts';
import { saveWithoutOverwriting, safeFileName } from './safe-file-name.ts';
import { ProgressMeter, type TransferProgress } from './transfer-progress.ts';
import { CHUNK_MAX_BYTES } from '../../protocol/constants.ts';

/** Why a receiver turns an offer down: its own choice, or what it found wrong with a sealed one. */
export type DeclineCode = NonNullable<Request<'file_decline'>['code']>;

export interface IncomingResult {
  transfer: number;
  from: string;
  /** Where the file was saved: the downloads dir and a safe, unused name. */
  path: string;
  size: number;
  sha256: string;
}

interface IncomingEvents {
  /** accept() was called: the transfer is about to start. */
  accepted: [];
  progress: [progress: TransferProgress];
}

export class IncomingTransfer extends EventEmitter<IncomingEvents> {
  readonly id: number;
  readonly from: string;
  readonly room: string | undefined;
  /** The name as the sender gave it (hostile: show it through inertText) and as it will be saved. */
  readonly offeredName: string;
  readonly safeName: string;
  readonly size: number;
  readonly sha256: string;
  /** The signer's key fingerprint when the file came end to end (sealed), else undefined. */
  readonly sealedBy: string | undefined;
  state: 'offered' | 'receiving' | 'done' | 'failed' = 'offered';
  /** Resolves with where the file was saved; rejects if it was declined, cancelled or corrupt. */
  readonly done: Promise<IncomingResult>;
  private settle!: { resolve: (result: IncomingResult) => void; reject: (error: ParlorError) => void };
  private handle: FileHandle | undefined;
  private tempPath: string | undefined;
  private hash: Hash | undefined;
  private written = 0;
  private consumedWire = 0;
  /** Chunks are written one after another, in order, through this chain. */
  private queue: Promise<void> = Promise.resolve();
  private meter: ProgressMeter | undefined;
  /** For a sealed transfer: opens each chunk at the index and offset due (file-chunks.ts). */
  private readonly opener: FileChunkOpener | undefined;
  private chunkIndex = 0;

  constructor(
    private readonly chat: ChatClient,
    offer: OfferDetails,
    private readonly downloadDir: string | undefined,
    private readonly onEnd: (transfer: IncomingTransfer) => void,
  ) {
    super();
    this.id = offer.transfer;
    this.from = offer.from;
    this.room = offer.room;
    this.offeredName = offer.name;
    this.safeName = safeFileName(offer.name);
    this.size = offer.size;
    this.sha256 = offer.sha256;
    this.sealedBy = offer.sealing?.fingerprint;
    this.opener = offer.sealing && new FileChunkOpener(offer.sealing.contentKey, offer.sealing.fileId);
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
  }

  /** Opens the temp file, then tells the server yes. */
  async accept(): Promise<void> {
    if (this.state !== 'offered') return;
    if (this.downloadDir === undefined) throw new ParlorError('BAD_OPTION', 'no downloads dir to save files in');
    this.state = 'receiving';
    this.emit('accepted');
    try {
      const tempPath = join(this.downloadDir, `.parlor-${randomBytes(8).toString('hex')}.part`);
      this.tempPath = tempPath;
      const handle = await open(tempPath, 'wx', 0o600);
      // Cancelled (or the connection dropped) while the file was being created: abort() found
      // nothing to delete then, so the file just made is removed here.
      if ((this.state as string) !== 'receiving') {
        await handle.close().catch(() => {});
        await unlink(tempPath).catch(() => {});
        return;
      }
      this.handle = handle;
      this.hash = createHash('sha256');
      this.meter = new ProgressMeter(this.id, 'receive', this.size, (progress) => this.emit('progress', progress));
      await this.chat.request('file_accept', { transfer: this.id });
      this.meter.update(0, true);
      if (this.size === 0) this.enqueue(() => this.complete());
    } catch (error) {
      await this.abort(asParlorError(error));
      throw error;
    }
  }

  async decline(code: DeclineCode = 'TRANSFER_DECLINED', message?: string): Promise<void> {
    if (this.state !== 'offered') return;
    this.state = 'failed';
    this.onEnd(this);
    this.settle.reject(new ParlorError(code, message ?? 'declined'));
    await this.chat.request('file_decline', { transfer: this.id, code, ...(message !== undefined && { message }) }).catch(() => {});
  }

  /** Stops receiving and tells the sender; the temp file is deleted. */
  async cancel(message?: string): Promise<void> {
    if (this.state === 'offered') return this.decline('TRANSFER_DECLINED', message);
    if (this.state !== 'receiving') return;
    void this.chat.request('file_cancel', { transfer: this.id, ...(message !== undefined && { message }) }).catch(() => {});
    await this.abort(new ParlorError('TRANSFER_CANCELLED', message ?? 'you cancelled the transfer'));
  }

  onChunk(chunk: ChunkRecord): void {
    if (this.state !== 'receiving') return;
    // The data is a view into the opened frame: it stays valid while it waits its turn.
    this.enqueue(() => this.write(chunk));
  }

  private enqueue(step: () => Promise<void>): void {
    this.queue = this.queue.then(step).catch((error: unknown) => this.corrupt(asParlorError(error, 'TRANSFER_CORRUPT')));
  }

  onCancelled(event: FileCancelledMessage): void {
    void this.abort(new ParlorError(isErrorCode(event.code) ? event.code : 'TRANSFER_CANCELLED', event.message));
  }

  onDisconnect(reason: ParlorError): void {
    void this.abort(new ParlorError('CONNECTION_CLOSED', `the connection closed during the transfer: ${reason.message}`));
  }

  private async write(chunk: ChunkRecord): Promise<void> {
    if (this.state !== 'receiving') return;
    if (!this.opener && chunk.offset !== this.written) throw new ParlorError('TRANSFER_CORRUPT', `a chunk for offset ${chunk.offset} came while ${this.written} was due`);
    const left = this.size - this.written;
    let data = this.opener ? this.openSealed(chunk) : chunk.data;
    if (!this.opener && chunk.flags & (CHUNK_FLAG_SEALED | CHUNK_FLAG_LAST)) throw new ParlorError('TRANSFER_CORRUPT', 'a sealed chunk in a transfer offered in clear');
    if (chunk.flags & CHUNK_FLAG_DEFLATED) {
      data = await inflateChunk(data, Math.min(left, CHUNK_MAX_BYTES)).catch((cause: unknown) => {
        throw new ParlorError('TRANSFER_CORRUPT', 'a compressed chunk did not inflate within its bounds', { cause });
      });
    }
    if (data.length > left) throw new ParlorError('TRANSFER_CORRUPT', `the sender sent more than the ${this.size} bytes it announced`);
    // Sealed chunks say which is the last; the sender signed the size, so only it could lie here.
    if (this.opener && (chunk.flags & CHUNK_FLAG_LAST) !== 0 !== (data.length === left)) {
      throw new ParlorError('TRANSFER_CORRUPT', `a chunk ending at ${this.written + data.length} of ${this.size} bytes is ${chunk.flags & CHUNK_FLAG_LAST ? '' : 'not '}marked last`);
    }
    if (data.length > 0) {
      // Hashed while the thread pool writes it: both only read the bytes.
      const writing = this.handle!.write(data, 0, data.length, this.written);
      this.hash!.update(data);
      await writing;
    }
    if (this.state !== 'receiving') return;
    this.written += data.length;
    this.consumedWire += chunk.data.length;
    this.chat.sendRecord(encodeWindowRecord({ transfer: this.id, bytes: this.consumedWire }));
    this.meter!.update(this.written);
    if (this.written === this.size) await this.complete();
  }

  /**
   * A sealed chunk's payload. The offset in its clear header must be the one due, and it opens only
   * at the index and offset due (both in its nonce or additional data): a relay that reorders,
   * drops, repeats, alters, cuts or swaps in a chunk of another transfer is caught here.
   */
  private openSealed(chunk: ChunkRecord): Buffer {
    if ((chunk.flags & CHUNK_FLAG_SEALED) === 0) throw new ParlorError('E2E_CHUNK_REJECTED', 'a chunk in clear in a transfer sealed end to end');
    if (chunk.offset !== this.written) {
      throw new ParlorError('E2E_CHUNK_REJECTED', `chunk ${this.chunkIndex} came for offset ${chunk.offset} while ${this.written} was due: reordered, dropped or repeated`);
    }
    const payload = this.opener!.open(this.chunkIndex, chunk.offset, chunk.flags, chunk.data);
    this.chunkIndex++;
    return payload;
  }

  private async complete(): Promise<void> {
    if (this.state !== 'receiving') return;
    const digest = this.hash!.digest('hex');
    await this.handle!.close();
    this.handle = undefined;
    if (digest !== this.sha256) throw new ParlorError('TRANSFER_CORRUPT', `the file's SHA-256 is ${digest}, not the ${this.sha256} that was announced`);
    const path = await saveWithoutOverwriting(this.tempPath!, this.downloadDir!, this.safeName);
    this.tempPath = undefined;
    this.state = 'done';
    this.onEnd(this);
    await this.chat.request('file_done', { transfer: this.id }).catch(() => {});
    this.settle.resolve({ transfer: this.id, from: this.from, path, size: this.size, sha256: this.sha256 });
  }

  /** The data did not match: the sender is told, the temp file goes. */
  private async corrupt(error: ParlorError): Promise<void> {
    if (this.state !== 'receiving') return;
    const code = error.code === 'TRANSFER_CORRUPT' || error.code === 'E2E_CHUNK_REJECTED' ? error.code : 'TRANSFER_CANCELLED';
    void this.chat.request('file_cancel', { transfer: this.id, code, message: error.message.slice(0, 500) }).catch(() => {});
    await this.abort(error);
  }

  private async abort(error: ParlorError): Promise<void> {
    if (this.state === 'done' || this.state === 'failed') return;
    this.state = 'failed';
    this.onEnd(this);
    this.meter?.stop();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => {});
    if (this.tempPath !== undefined) await unlink(this.tempPath).catch(() => {});
    this.tempPath = undefined;
    this.settle.reject(error);
  }
}
