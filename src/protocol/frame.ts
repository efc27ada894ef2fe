// Length-prefixed frames: a 4-byte big-endian length, then that many bytes of payload.
// The decoder is incremental (any split of the byte stream decodes the same) and checks the
// announced length against its cap before it allocates or waits for a single payload byte.

import { ParlorError } from './errors.ts';

export const FRAME_HEADER_BYTES = 4;

export function encodeFrame(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** Frames several payloads into one buffer, so that a batch costs one write. */
export function encodeFrames(payloads: readonly Buffer[]): Buffer {
  let total = 0;
  for (const payload of payloads) total += FRAME_HEADER_BYTES + payload.length;
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const payload of payloads) {
    out.writeUInt32BE(payload.length, offset);
    payload.copy(out, offset + FRAME_HEADER_BYTES);
    offset += FRAME_HEADER_BYTES + payload.length;
  }
  return out;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** The length announced by the header that was read, or -1 while waiting for a header. */
  private expected = -1;
  private failed = false;

  /** @param maxFrameBytes the largest payload accepted; it may be changed between pushes. */
  constructor(public maxFrameBytes: number) {}

  /** Bytes held that do not yet make a whole frame: non-zero at end of stream means truncation. */
  get pendingBytes(): number {
    return this.buffered + (this.expected >= 0 ? FRAME_HEADER_BYTES : 0);
  }

  /**
   * Feeds bytes in, returns every frame they complete. Throws FRAME_TOO_LARGE on a header over the
   * cap; after a throw the stream cannot be resynchronised, so the decoder refuses further input.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new ParlorError('FRAME_MALFORMED', 'the frame decoder already failed');
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          this.failed = true;
          this.chunks = [];
          this.buffered = 0;
          throw new ParlorError(
            'FRAME_TOO_LARGE',
            `a frame of ${length} bytes is over the cap of ${this.maxFrameBytes} bytes`,
          );
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  /** Removes n buffered bytes (n ≤ buffered), copying only when they span chunks. */
  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0]!;
      const want = n - filled;
      if (head.length <= want) {
        head.copy(out, filled);
        filled += head.length;
        this.chunks.shift();
      } else {
        head.copy(out, filled, 0, want);
        this.chunks[0] = head.subarray(want);
        filled += want;
      }
    }
    return out;
  }
}
