// Sealing the chunks of an end-to-end file transfer (docs/protocol.md, section 8.4). The transfer's
// content key arrives wrapped in its signed file envelope (kind 0x02); the chunks are sealed under
// a key derived from it and the envelope's file id, so the envelope's own GCM (random IV) and the
// chunks' GCM (counter nonces) never share a key. Each chunk's nonce is its index, so no nonce
// repeats under a key; its additional data binds the file id, the index, the offset and the
// flags (deflated, last), so a relay that alters, reorders, drops, repeats, cuts, extends or swaps
// chunks between transfers makes the receiver's open fail.

import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { ParlorError } from '../protocol/errors.ts';

export const FILE_ID_BYTES = 16;
export const CHUNK_TAG_BYTES = 16;
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const AAD_BYTES = FILE_ID_BYTES + 8 + 8 + 1;
const KEY_INFO = Buffer.from('parlor/1 file chunks', 'ascii');

/** The chunk key: HKDF-SHA256 over the content key, salted with the file id. */
export function deriveChunkKey(contentKey: Buffer, fileId: Buffer): Buffer {
  if (contentKey.length !== KEY_BYTES) throw new ParlorError('BAD_REQUEST', `a content key is ${KEY_BYTES} bytes`);
  if (fileId.length !== FILE_ID_BYTES) throw new ParlorError('BAD_REQUEST', `a file id is ${FILE_ID_BYTES} bytes`);
  return Buffer.from(hkdfSync('sha256', contentKey, fileId, KEY_INFO, KEY_BYTES));
}

function writeUint64(target: Buffer, value: number, at: number): void {
  target.writeUInt32BE(Math.floor(value / 0x1_0000_0000), at);
  target.writeUInt32BE(value >>> 0, at + 4);
}

/** Nonce and additional data for one chunk, in buffers reused from chunk to chunk. */
class ChunkContext {
  protected readonly key: Buffer;
  protected readonly nonce = Buffer.alloc(NONCE_BYTES);
  protected readonly aad = Buffer.alloc(AAD_BYTES);

  constructor(contentKey: Buffer, fileId: Buffer) {
    this.key = deriveChunkKey(contentKey, fileId);
    fileId.copy(this.aad, 0);
  }

  protected prepare(index: number, offset: number, flags: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new ParlorError('BAD_REQUEST', 'a chunk index or offset out of range');
    }
    writeUint64(this.nonce, index, 4);
    writeUint64(this.aad, index, FILE_ID_BYTES);
    writeUint64(this.aad, offset, FILE_ID_BYTES + 8);
    this.aad[FILE_ID_BYTES + 16] = flags;
  }
}

export class FileChunkSealer extends ChunkContext {
  /**
   * Seals `payload` (the chunk's bytes, deflated or not) and writes ciphertext then tag into `out`
   * at `at`, which must have room for payload.length + CHUNK_TAG_BYTES.
   */
  sealInto(index: number, offset: number, flags: number, payload: Buffer, out: Buffer, at: number): void {
    this.prepare(index, offset, flags);
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonce);
    cipher.setAAD(this.aad);
    const written = payload.length === 0 ? 0 : cipher.update(payload).copy(out, at);
    cipher.final();
    cipher.getAuthTag().copy(out, at + written);
  }

  /** The same, as the ciphertext the cipher produced and the tag, for a record sent in pieces. */
  seal(index: number, offset: number, flags: number, payload: Buffer): [ciphertext: Buffer, tag: Buffer] {
    this.prepare(index, offset, flags);
    const cipher = createCipheriv('aes-256-gcm', this.key, this.nonce);
    cipher.setAAD(this.aad);
    const ciphertext = cipher.update(payload);
    cipher.final();
    return [ciphertext, cipher.getAuthTag()];
  }
}

export class FileChunkOpener extends ChunkContext {
  /** The chunk's payload, or E2E_CHUNK_REJECTED when it is not the chunk due at this index and offset. */
  open(index: number, offset: number, flags: number, sealed: Buffer): Buffer {
    if (sealed.length < CHUNK_TAG_BYTES) throw new ParlorError('E2E_CHUNK_REJECTED', `a sealed chunk of ${sealed.length} bytes is shorter than its tag`);
    this.prepare(index, offset, flags);
    const decipher = createDecipheriv('aes-256-gcm', this.key, this.nonce);
    decipher.setAAD(this.aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - CHUNK_TAG_BYTES));
    try {
      const payload = decipher.update(sealed.subarray(0, sealed.length - CHUNK_TAG_BYTES));
      // GCM's final() only checks the tag: nothing is returned, so nothing is joined.
      decipher.final();
      return payload;
    } catch (cause) {
      throw new ParlorError('E2E_CHUNK_REJECTED', `chunk ${index} (offset ${offset}) failed authentication: it is not the chunk the sender sealed there`, { cause });
    }
  }
}
