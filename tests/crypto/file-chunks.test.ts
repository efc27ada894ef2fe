// Sealed chunks of an end-to-end file transfer: they open only at the index, offset and flags
// they were sealed with, under the key of their own transfer.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { CHUNK_TAG_BYTES, FileChunkOpener, FileChunkSealer, FILE_ID_BYTES } from '../../src/crypto/file-chunks.ts';
import { ParlorError } from '../../src/protocol/errors.ts';

function sealed(sealer: FileChunkSealer, index: number, offset: number, flags: number, payload: Buffer): Buffer {
  const out = Buffer.alloc(payload.length + CHUNK_TAG_BYTES);
  sealer.sealInto(index, offset, flags, payload, out, 0);
  return out;
}

function rejected(open: () => unknown): void {
  try {
    open();
  } catch (error) {
    expect(error).to.be.instanceOf(ParlorError);
    expect((error as ParlorError).code).to.equal('E2E_CHUNK_REJECTED');
    return;
  }
  expect.fail('the chunk opened');
}

describe('crypto/file-chunks: sealing the chunks of a file end to end', () => {
  const key = randomBytes(32);
  const fileId = randomBytes(FILE_ID_BYTES);
  const payload = Buffer.from('the quarterly plans, chunk by chunk');

  it('opens what it sealed, including an empty payload; the ciphertext is not the payload', () => {
    const sealer = new FileChunkSealer(key, fileId);
    const opener = new FileChunkOpener(key, fileId);
    const chunk = sealed(sealer, 3, 4096, 0x02, payload);
    expect(chunk.includes(payload)).to.equal(false);
    expect(opener.open(3, 4096, 0x02, chunk).equals(payload)).to.equal(true);
    expect(opener.open(0, 0, 0x06, sealed(sealer, 0, 0, 0x06, Buffer.alloc(0))).length).to.equal(0);
  });

  it('seals the same bytes differently at each index (the nonce is the index)', () => {
    const sealer = new FileChunkSealer(key, fileId);
    expect(sealed(sealer, 0, 0, 0x02, payload).equals(sealed(sealer, 1, 0, 0x02, payload))).to.equal(false);
  });

  it('refuses a chunk at another index, offset or flags, of another file, cut, or altered', () => {
    const chunk = sealed(new FileChunkSealer(key, fileId), 5, 1000, 0x02, payload);
    const opener = new FileChunkOpener(key, fileId);
    rejected(() => opener.open(4, 1000, 0x02, chunk));
    rejected(() => opener.open(5, 999, 0x02, chunk));
    rejected(() => opener.open(5, 1000, 0x06, chunk));
    rejected(() => new FileChunkOpener(key, randomBytes(FILE_ID_BYTES)).open(5, 1000, 0x02, chunk));
    rejected(() => new FileChunkOpener(randomBytes(32), fileId).open(5, 1000, 0x02, chunk));
    rejected(() => opener.open(5, 1000, 0x02, chunk.subarray(0, chunk.length - 1)));
    rejected(() => opener.open(5, 1000, 0x02, chunk.subarray(0, 10)));
    const altered = Buffer.from(chunk);
    altered[0]! ^= 1;
    rejected(() => opener.open(5, 1000, 0x02, altered));
    expect(opener.open(5, 1000, 0x02, chunk).equals(payload)).to.equal(true);
  });
});
