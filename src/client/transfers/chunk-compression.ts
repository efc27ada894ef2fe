// Compression in transit: a chunk is deflated when that saves at least 10 % (text, logs), and sent
// as it is otherwise (JPEGs, archives, anything already compressed). Only the sender's own file
// bytes are ever compressed together, never chat text of several users in one frame, where the
// compressed length could leak one user's secret to another (CRIME/BREACH).
//
// Trying to deflate every chunk of an incompressible file would cost more CPU than the transfer
// itself, so a small sample is tried first, and after a chunk that did not compress the next ones
// skip even the sample, doubling the skip up to 64 chunks (16 MiB) while the file stays
// incompressible.

import { constants, deflateRaw, deflateRawSync, inflateRaw } from 'node:zlib';
import { promisify } from 'node:util';

const deflateRawAsync = promisify(deflateRaw);
const inflateRawAsync = promisify(inflateRaw);

/** Compressed must be at most this share of the original to be worth it. */
export const COMPRESSION_WORTH_IT = 0.9;
const SAMPLE_BYTES = 8 * 1024;
const MAX_SKIP_CHUNKS = 64;
/** Level 1: on a LAN, speed matters more than the last few per cent. */
const LEVEL = 1;

export class ChunkCompressor {
  private skip = 0;
  private nextSkip = 1;

  /** The deflated chunk when it saves at least 10 %, else undefined (send it as it is). */
  async compress(data: Buffer): Promise<Buffer | undefined> {
    if (data.length < 64) return undefined;
    if (this.skip > 0) {
      this.skip--;
      return undefined;
    }
    // The sample is small enough to deflate inline; the whole chunk goes to the thread pool.
    if (data.length > SAMPLE_BYTES) {
      const sample = data.subarray(0, SAMPLE_BYTES);
      if (deflateRawSync(sample, { level: LEVEL }).length > sample.length * COMPRESSION_WORTH_IT) return this.miss();
    }
    const deflated = await deflateRawAsync(data, { level: LEVEL, strategy: constants.Z_DEFAULT_STRATEGY });
    if (deflated.length > data.length * COMPRESSION_WORTH_IT) return this.miss();
    this.nextSkip = 1;
    return deflated;
  }

  private miss(): undefined {
    this.skip = this.nextSkip;
    this.nextSkip = Math.min(this.nextSkip * 2, MAX_SKIP_CHUNKS);
    return undefined;
  }
}

/** Inflates a chunk, refusing to produce more than `maxBytes` (a small chunk cannot become a bomb). */
export function inflateChunk(data: Buffer, maxBytes: number): Promise<Buffer> {
  return inflateRawAsync(data, { maxOutputLength: Math.max(1, maxBytes) });
}
