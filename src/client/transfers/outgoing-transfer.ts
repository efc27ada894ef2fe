// Sending one file: hash it, offer it, then send chunks as the server's credit allows (window
// records), until every recipient has received it, declined, or failed. A file to a user or to a
// secret room goes end to end: the offer carries its metadata in a signed file envelope, and each
// chunk is sealed under the transfer's key (deflated first, then sealed). A file to a plaintext
// room is read straight into the chunk record's buffer, so an uncompressed chunk is never copied.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { ParlorError, asParlorError, isErrorCode, type ErrorCode } from '../../protocol/errors.ts';
import type { FileCancelledMessage, FileStatusMessage } from '../../protocol/transfer-messages.ts';
import { allocChunkRecord, chunkRecordHeader, CHUNK_FLAG_DEFLATED, CHUNK_FLAG_LAST, CHUNK_FLAG_SEALED, CHUNK_RECORD_HEADER_BYTES } from '../../protocol/transfer-records.ts';
import { CHUNK_TAG_BYTES, FileChunkSealer } from '../../crypto/file-chunks.ts';
import { encodeFileMetadata, mustSeal } from './file-offer.ts';
import type { ChatClient } from '../chat-client.ts';
import { ChunkCompressor } from './chunk-compression.ts';
import { ProgressMeter, type TransferProgress } from './transfer-progress.ts';

export type TransferTarget = { to: string } | { room: string };

export interface RecipientOutcome {
  name: string;
  status: 'accepted' | 'declined' | 'received' | 'failed';
  code?: string;
  message?: string;
}

export interface OutgoingResult {
  transfer: number;
  name: string;
  size: number;
  sha256: string;
  /** Who has the file, checked by size and SHA-256 on their side. */
  received: string[];
  /** Who declined or failed, and why. */
  missed: RecipientOutcome[];
}

interface OutgoingEvents {
  /** The server took the offer: the recipients it went to. */
  offered: [info: { transfer: number; recipients: string[] }];
  status: [outcome: RecipientOutcome];
  progress: [progress: TransferProgress];
  /** Sent once, when the transfer is over for this side (whatever the outcome). */
  ended: [];
}

/** Credit smaller than this waits for more rather than sending slivers (the server's window is ≥ 64 KiB). */
const MIN_CHUNK_BYTES = 64 * 1024;

export class OutgoingTransfer extends EventEmitter<OutgoingEvents> {
  /** The server's transfer id, once it has taken the offer (0 before). */
  id = 0;
  readonly name: string;
  size = 0;
  sha256 = '';
  /** Resolves when every recipient has answered and finished; rejects when nobody got the file. */
  readonly done: Promise<OutgoingResult>;
  private readonly outcomes = new Map<string, RecipientOutcome>();
  /** Chunk bytes the server allows in all, and chunk bytes sent. */
  private limit = 0;
  private sentWire = 0;
  private wakeSender: (() => void) | undefined;
  private ended: ParlorError | undefined;
  private settle: { resolve: (result: OutgoingResult) => void; reject: (error: ParlorError) => void } | undefined;
  private readonly compressor = new ChunkCompressor();
  /** For an end-to-end transfer: seals each chunk, numbered from 0 (file-chunks.ts). */
  private sealer: FileChunkSealer | undefined;
  private chunkIndex = 0;
  /** The file bytes of the chunk being sealed, reused from chunk to chunk. */
  private plain: Buffer | undefined;

  constructor(
    private readonly chat: ChatClient,
    private readonly target: TransferTarget,
    private readonly path: string,
    options: { name?: string; compress?: boolean },
    /** Called with the id once the server has taken the offer, and with the id when it ends. */
    private readonly registry: { add(transfer: OutgoingTransfer): void; remove(transfer: OutgoingTransfer): void },
  ) {
    super();
    this.name = options.name ?? basename(path);
    this.compress = options.compress ?? true;
    this.pending = new Set();
    this.done = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.done.catch(() => {});
    void this.run();
  }

  private readonly compress: boolean;
  /** Recipients that have not said anything yet. */
  private pending: Set<string>;

  /** Stops sending and tells the server; `done` rejects with TRANSFER_CANCELLED. */
  cancel(message?: string): void {
    if (this.ended) return;
    if (this.id !== 0) void this.chat.request('file_cancel', { transfer: this.id, ...(message !== undefined && { message }) }).catch(() => {});
    this.fail(new ParlorError('TRANSFER_CANCELLED', message ?? 'you cancelled the transfer'));
  }

  /** The server raised this transfer's credit. */
  onWindow(bytes: number): void {
    if (bytes <= this.limit) return;
    this.limit = bytes;
    this.wakeSender?.();
  }

  onStatus(event: FileStatusMessage): void {
    const outcome: RecipientOutcome = {
      name: event.name,
      status: event.status,
      ...(event.code !== undefined && { code: event.code }),
      ...(event.message !== undefined && { message: event.message }),
    };
    this.outcomes.set(event.name, outcome);
    this.emit('status', outcome);
    this.checkFinished();
  }

  onCancelled(event: FileCancelledMessage): void {
    this.fail(new ParlorError(isErrorCode(event.code) ? event.code : 'TRANSFER_CANCELLED', event.message));
  }

  /** The connection went away: a transfer cannot resume on another one. */
  onDisconnect(reason: ParlorError): void {
    this.fail(new ParlorError('CONNECTION_CLOSED', `the connection closed during the transfer: ${reason.message}`));
  }

  private async run(): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      const info = await stat(this.path).catch((error: NodeJS.ErrnoException) => {
        throw new ParlorError('FILE_UNREADABLE', `cannot read ${this.path}: ${error.code ?? error.message}`);
      });
      if (!info.isFile()) throw new ParlorError('FILE_UNREADABLE', `${this.path} is not a regular file`);
      handle = await open(this.path, 'r');
      this.size = info.size;
      this.sha256 = await hashFile(this.path);
      if (this.ended) return;
      const sealing = mustSeal(this.chat, this.target)
        ? await this.chat.sealFileOffer(this.target, encodeFileMetadata({ name: this.name, size: this.size, sha256: this.sha256 }))
        : undefined;
      if (this.ended) return;
      const described = sealing ? { sealed: sealing.sealed } : { name: this.name, sha256: this.sha256 };
      const offer = await this.chat.request('file_offer', { ...this.target, size: this.size, ...described });
      this.sealer = sealing && new FileChunkSealer(sealing.contentKey, sealing.fileId);
      this.id = offer.transfer;
      this.pending = new Set(offer.recipients);
      this.registry.add(this);
      this.emit('offered', { transfer: this.id, recipients: offer.recipients });
      if (this.ended) return;
      await this.sendChunks(handle, offer.chunkBytes);
    } catch (error) {
      this.fail(asParlorError(error));
    } finally {
      await handle?.close().catch(() => {});
    }
  }

  private async sendChunks(handle: FileHandle, chunkBytes: number): Promise<void> {
    const meter = new ProgressMeter(this.id, 'send', this.size, (progress) => this.emit('progress', progress));
    meter.update(0, true);
    let offset = 0;
    this.once('ended', () => meter.stop());
    // A sealed chunk carries a tag more than its payload: credit must cover it too.
    const overhead = this.sealer ? CHUNK_TAG_BYTES : 0;
    while (offset < this.size && !this.ended) {
      const want = Math.min(chunkBytes, this.size - offset, MIN_CHUNK_BYTES);
      while (this.limit - this.sentWire < want + overhead && !this.ended) await new Promise<void>((resolve) => (this.wakeSender = resolve));
      this.wakeSender = undefined;
      if (this.ended) return;
      const length = Math.min(chunkBytes, this.size - offset, this.limit - this.sentWire - overhead);
      if (this.sealer) {
        const pieces = await this.sealedChunk(handle, offset, length);
        if (this.ended) return;
        if (!this.chat.sendRecord(pieces, true)) throw new ParlorError('CONNECTION_CLOSED', 'the connection closed during the transfer');
        this.sentWire += pieces[1].length + CHUNK_TAG_BYTES;
        offset += length;
        meter.update(offset);
        continue;
      }
      let record: Buffer | Buffer[] = allocChunkRecord(this.id, offset, 0, length);
      const { bytesRead } = await handle.read(record, CHUNK_RECORD_HEADER_BYTES, length, offset);
      if (bytesRead !== length) throw new ParlorError('FILE_UNREADABLE', `${this.path} changed while it was being sent`);
      let wireBytes = length;
      if (this.compress) {
        const deflated = await this.compressor.compress(record.subarray(CHUNK_RECORD_HEADER_BYTES));
        if (deflated) {
          record = [chunkRecordHeader(this.id, offset, CHUNK_FLAG_DEFLATED, deflated.length), deflated];
          wireBytes = deflated.length;
        }
      }
      if (this.ended) return;
      if (!this.chat.sendRecord(record, true)) throw new ParlorError('CONNECTION_CLOSED', 'the connection closed during the transfer');
      this.sentWire += wireBytes;
      offset += length;
      meter.update(offset);
    }
  }

  /**
   * One chunk sealed end to end: read into a buffer kept from chunk to chunk, deflated if that
   * pays (before sealing: ciphertext does not compress), then sealed. The record goes as its
   * pieces (header, ciphertext, tag): the ciphertext is never copied into a record buffer.
   */
  private async sealedChunk(handle: FileHandle, offset: number, length: number): Promise<[header: Buffer, ciphertext: Buffer, tag: Buffer]> {
    if (!this.plain || this.plain.length < length) this.plain = Buffer.allocUnsafe(length);
    const plain = this.plain.subarray(0, length);
    const { bytesRead } = await handle.read(plain, 0, length, offset);
    if (bytesRead !== length) throw new ParlorError('FILE_UNREADABLE', `${this.path} changed while it was being sent`);
    let payload = plain;
    let flags = CHUNK_FLAG_SEALED | (offset + length === this.size ? CHUNK_FLAG_LAST : 0);
    const deflated = this.compress ? await this.compressor.compress(plain) : undefined;
    if (deflated) {
      payload = deflated;
      flags |= CHUNK_FLAG_DEFLATED;
    }
    const [ciphertext, tag] = this.sealer!.seal(this.chunkIndex++, offset, flags, payload);
    return [chunkRecordHeader(this.id, offset, flags, payload.length + CHUNK_TAG_BYTES), ciphertext, tag];
  }

  private checkFinished(): void {
    for (const name of this.outcomes.keys()) this.pending.delete(name);
    if (this.ended || this.pending.size > 0) return;
    const outcomes = [...this.outcomes.values()];
    if (outcomes.some((o) => o.status === 'accepted')) return;
    const received = outcomes.filter((o) => o.status === 'received').map((o) => o.name);
    const missed = outcomes.filter((o) => o.status !== 'received');
    if (received.length === 0) {
      const first = missed[0];
      const code: ErrorCode = first?.code !== undefined && isErrorCode(first.code) ? first.code : 'TRANSFER_DECLINED';
      this.fail(new ParlorError(code, first?.message ?? 'nobody received the file'));
      return;
    }
    this.finish();
    this.settle?.resolve({ transfer: this.id, name: this.name, size: this.size, sha256: this.sha256, received, missed });
  }

  private fail(error: ParlorError): void {
    if (this.ended) return;
    this.finish(error);
    this.settle?.reject(error);
  }

  private finish(error = new ParlorError('TRANSFER_CANCELLED', 'the transfer is over')): void {
    this.ended = error;
    this.wakeSender?.();
    this.emit('ended');
    if (this.id !== 0) this.registry.remove(this);
  }
}

/** SHA-256 of a file, read as a stream (any size, flat memory), as lower-case hex. */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
