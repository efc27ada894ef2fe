// The two binary records of a file transfer (docs/protocol.md, "File transfer"). File bytes travel
// as raw bytes rather than base64 in JSON: no 33 % inflation, no parse, and the server reads only the
// 13-byte header it routes on; what follows is opaque to it (sealed end to end by the client for a
// direct or secret-room transfer: src/crypto/file-chunks.ts).
//
//   chunk  (kind 0x02): transfer u32 · offset u64 · flags u8 · data
//   window (kind 0x03): transfer u32 · bytes u64

import { RECORD_KIND_CHUNK, RECORD_KIND_WINDOW } from './constants.ts';
import { ParlorError } from './errors.ts';
import { FRAME_HEADER_BYTES } from './frame.ts';

/** Bytes of a chunk record before its data: length, kind, transfer, offset, flags. */
export const CHUNK_RECORD_HEADER_BYTES = FRAME_HEADER_BYTES + 1 + 4 + 8 + 1;
const CHUNK_BODY_HEADER_BYTES = CHUNK_RECORD_HEADER_BYTES - FRAME_HEADER_BYTES - 1;
const WINDOW_BODY_BYTES = 4 + 8;

/** Chunk flag: the data is raw DEFLATE (RFC 1951) of the file bytes. */
export const CHUNK_FLAG_DEFLATED = 0x01;
/** Chunk flag: the data is sealed end to end (docs/protocol.md 8.4): ciphertext, then a 16-byte tag. */
export const CHUNK_FLAG_SEALED = 0x02;
/** Chunk flag, on sealed chunks only: the file's last chunk (a relay cannot cut a file short). */
export const CHUNK_FLAG_LAST = 0x04;
const KNOWN_CHUNK_FLAGS = CHUNK_FLAG_DEFLATED | CHUNK_FLAG_SEALED | CHUNK_FLAG_LAST;

export interface ChunkRecord {
  transfer: number;
  /** Where the chunk's first byte goes in the file (before compression). */
  offset: number;
  flags: number;
  data: Buffer;
}

export interface WindowRecord {
  transfer: number;
  bytes: number;
}

function writeUint64(target: Buffer, value: number, at: number): void {
  target.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
  target.writeUInt32BE(value >>> 0, at + 4);
}

function readUint64(source: Buffer, at: number): number {
  const value = source.readUInt32BE(at) * 0x1_0000_0000 + source.readUInt32BE(at + 4);
  if (!Number.isSafeInteger(value)) throw new ParlorError('BAD_MESSAGE', 'a 64-bit field is over 2^53 - 1');
  return value;
}

/**
 * A chunk record with room for `dataBytes` of data after its header, header written: the caller
 * reads the file straight into `record.subarray(CHUNK_RECORD_HEADER_BYTES)`, so no copy is made.
 */
export function allocChunkRecord(transfer: number, offset: number, flags: number, dataBytes: number): Buffer {
  return writeChunkHeader(Buffer.allocUnsafe(CHUNK_RECORD_HEADER_BYTES + dataBytes), transfer, offset, flags, dataBytes);
}

/**
 * Just the header of a chunk record whose `dataBytes` of data follow in buffers of their own: a
 * connection sends a record in pieces (SecureConnection.sendBulk), so sealed data is not copied.
 */
export function chunkRecordHeader(transfer: number, offset: number, flags: number, dataBytes: number): Buffer {
  return writeChunkHeader(Buffer.allocUnsafe(CHUNK_RECORD_HEADER_BYTES), transfer, offset, flags, dataBytes);
}

function writeChunkHeader(record: Buffer, transfer: number, offset: number, flags: number, dataBytes: number): Buffer {
  record.writeUInt32BE(1 + CHUNK_BODY_HEADER_BYTES + dataBytes, 0);
  record[FRAME_HEADER_BYTES] = RECORD_KIND_CHUNK;
  record.writeUInt32BE(transfer, FRAME_HEADER_BYTES + 1);
  writeUint64(record, offset, FRAME_HEADER_BYTES + 5);
  record[FRAME_HEADER_BYTES + 13] = flags;
  return record;
}

export function encodeChunkRecord(chunk: ChunkRecord): Buffer {
  const record = allocChunkRecord(chunk.transfer, chunk.offset, chunk.flags, chunk.data.length);
  chunk.data.copy(record, CHUNK_RECORD_HEADER_BYTES);
  return record;
}

/** Parses a chunk record's body (after the kind byte); the data is a view, not a copy. */
export function decodeChunkBody(body: Buffer): ChunkRecord {
  if (body.length < CHUNK_BODY_HEADER_BYTES) throw new ParlorError('BAD_MESSAGE', 'a chunk record shorter than its header');
  const flags = body[12]!;
  if ((flags & ~KNOWN_CHUNK_FLAGS) !== 0) throw new ParlorError('BAD_MESSAGE', `a chunk with unknown flags 0x${flags.toString(16)}`);
  return { transfer: body.readUInt32BE(0), offset: readUint64(body, 4), flags, data: body.subarray(CHUNK_BODY_HEADER_BYTES) };
}

/** Just the transfer id and data length of a chunk body: all the server needs to route it. */
export function peekChunkBody(body: Buffer): { transfer: number; dataBytes: number } {
  if (body.length < CHUNK_BODY_HEADER_BYTES) throw new ParlorError('BAD_MESSAGE', 'a chunk record shorter than its header');
  return { transfer: body.readUInt32BE(0), dataBytes: body.length - CHUNK_BODY_HEADER_BYTES };
}

export function encodeWindowRecord(window: WindowRecord): Buffer {
  const record = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + WINDOW_BODY_BYTES);
  record.writeUInt32BE(1 + WINDOW_BODY_BYTES, 0);
  record[FRAME_HEADER_BYTES] = RECORD_KIND_WINDOW;
  record.writeUInt32BE(window.transfer, FRAME_HEADER_BYTES + 1);
  writeUint64(record, window.bytes, FRAME_HEADER_BYTES + 5);
  return record;
}

export function decodeWindowBody(body: Buffer): WindowRecord {
  if (body.length !== WINDOW_BODY_BYTES) throw new ParlorError('BAD_MESSAGE', `a window record of ${body.length} bytes, not ${WINDOW_BODY_BYTES}`);
  return { transfer: body.readUInt32BE(0), bytes: readUint64(body, 4) };
}
