import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ParlorError } from '../../src/protocol/errors.ts';
import { encodeFrame, encodeFrames, FrameDecoder } from '../../src/protocol/frame.ts';

/** Cuts a buffer at the given offsets (sorted, deduplicated, inside the buffer). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(last, point));
    last = point;
  }
  pieces.push(bytes.subarray(last));
  return pieces;
}

describe('protocol/frame', () => {
  it('decodes any split of a stream of frames into the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (payloads, cuts) => {
          const stream = encodeFrames(payloads.map((p) => Buffer.from(p)));
          const decoder = new FrameDecoder(1024);
          const frames = split(stream, cuts).flatMap((piece) => decoder.push(piece));
          expect(frames.map((f) => Buffer.from(f).toString('hex'))).to.deep.equal(payloads.map((p) => Buffer.from(p).toString('hex')));
          expect(decoder.pendingBytes).to.equal(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('decodes a stream fed one byte at a time', () => {
    const payloads = [Buffer.alloc(0), Buffer.from('a'), randomBytes(1000)];
    const stream = encodeFrames(payloads);
    const decoder = new FrameDecoder(4096);
    const frames: Buffer[] = [];
    for (const byte of stream) frames.push(...decoder.push(Buffer.from([byte])));
    expect(frames).to.deep.equal(payloads);
  });

  it('encodeFrame and encodeFrames agree', () => {
    const payloads = [randomBytes(5), randomBytes(0), randomBytes(70)];
    expect(encodeFrames(payloads)).to.deep.equal(Buffer.concat(payloads.map(encodeFrame)));
  });

  it('rejects an oversize header before any payload arrives, and stays failed', () => {
    const decoder = new FrameDecoder(1024);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(0xffffffff);
    // Only the header is pushed: the decoder must refuse from it alone, not wait for 4 GiB.
    expect(() => decoder.push(header)).to.throw(ParlorError).with.property('code', 'FRAME_TOO_LARGE');
    expect(decoder.pendingBytes).to.equal(0);
    expect(() => decoder.push(encodeFrame(Buffer.from('ok')))).to.throw(ParlorError);
  });

  it('accepts a frame exactly at the cap and refuses one byte over', () => {
    expect(new FrameDecoder(10).push(encodeFrame(Buffer.alloc(10)))).to.have.length(1);
    expect(() => new FrameDecoder(10).push(encodeFrame(Buffer.alloc(11)))).to.throw(ParlorError).with.property('code', 'FRAME_TOO_LARGE');
  });

  it('reports the bytes of an unfinished frame, which at end of stream means truncation', () => {
    const decoder = new FrameDecoder(100);
    decoder.push(encodeFrame(Buffer.alloc(50)).subarray(0, 20));
    expect(decoder.pendingBytes).to.equal(20);
  });

  it('survives 100,000 random and mutated frames: only ParlorErrors, never anything else', () => {
    const valid = encodeFrames([randomBytes(40), randomBytes(3), randomBytes(200)]);
    let frames = 0;
    let refusals = 0;
    for (let i = 0; i < 100_000; i++) {
      let input: Buffer;
      if (i % 2 === 0) {
        input = randomBytes(1 + (i % 64));
      } else {
        input = Buffer.from(valid);
        for (let flips = 0; flips <= i % 4; flips++) input[(i * 7919 + flips * 104729) % input.length]! ^= 1 << (i % 8);
      }
      const decoder = new FrameDecoder(256);
      try {
        frames += decoder.push(input).length;
      } catch (error) {
        expect(error).to.be.instanceOf(ParlorError);
        refusals++;
      }
    }
    expect(frames + refusals).to.be.greaterThan(0);
    expect(refusals).to.be.greaterThan(1000);
  });
});
