import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { FrameOpener, FrameSealer } from '../../src/crypto/sealed-channel.ts';
import { ParlorError } from '../../src/protocol/errors.ts';

function pair() {
  const key = randomBytes(32);
  return { sealer: new FrameSealer(key), opener: new FrameOpener(key) };
}

function expectCode(fn: () => unknown, code: string) {
  expect(fn).to.throw(ParlorError).with.property('code', code);
}

describe('crypto/sealed-channel', () => {
  it('opens what it sealed, in order, including several parts and an empty frame', () => {
    const { sealer, opener } = pair();
    expect(opener.open(sealer.seal([Buffer.from('hello '), Buffer.from('world')])).toString()).to.equal('hello world');
    expect(opener.open(sealer.seal([])).length).to.equal(0);
    expect(opener.open(sealer.seal([Buffer.from('third')])).toString()).to.equal('third');
  });

  it('never repeats a nonce: the counter in front of each frame counts up', () => {
    const { sealer } = pair();
    const counters = [0, 1, 2].map(() => sealer.seal([Buffer.from('x')]).readBigUInt64BE(0));
    expect(counters).to.deep.equal([0n, 1n, 2n]);
  });

  it('refuses a replayed frame with FRAME_REPLAYED', () => {
    const { sealer, opener } = pair();
    const first = sealer.seal([Buffer.from('once')]);
    opener.open(first);
    expectCode(() => opener.open(first), 'FRAME_REPLAYED');
  });

  it('refuses a frame that jumped the queue (dropped or reordered) with FRAME_OUT_OF_ORDER', () => {
    const { sealer, opener } = pair();
    sealer.seal([Buffer.from('dropped')]);
    expectCode(() => opener.open(sealer.seal([Buffer.from('second')])), 'FRAME_OUT_OF_ORDER');
  });

  it('refuses any altered byte with FRAME_AUTH_FAILED (counter bytes included)', () => {
    const { sealer } = pair();
    const frame = sealer.seal([Buffer.from('do not touch')]);
    for (let index = 0; index < frame.length; index++) {
      const key = (sealer as unknown as { key: Buffer }).key;
      const opener = new FrameOpener(key);
      const altered = Buffer.from(frame);
      altered[index]! ^= 0x01;
      // An altered counter byte is caught as out of order; any other byte by the tag.
      const expected = index < 8 ? 'FRAME_OUT_OF_ORDER' : 'FRAME_AUTH_FAILED';
      expectCode(() => opener.open(altered), expected);
    }
  });

  it('refuses a truncated frame and one shorter than its overhead', () => {
    const { sealer, opener } = pair();
    const frame = sealer.seal([Buffer.from('cut short')]);
    expectCode(() => opener.open(frame.subarray(0, frame.length - 1)), 'FRAME_AUTH_FAILED');
    expectCode(() => new FrameOpener(randomBytes(32)).open(frame.subarray(0, 23)), 'FRAME_MALFORMED');
  });

  it("refuses a frame sealed with the other direction's key", () => {
    const { sealer } = pair();
    expectCode(() => new FrameOpener(randomBytes(32)).open(sealer.seal([Buffer.from('x')])), 'FRAME_AUTH_FAILED');
  });
});

describe('crypto/sealed-channel: framed sealing', () => {
  it('sealFrame is the frame length, then exactly what seal gives', () => {
    const key = randomBytes(32);
    const framed = new FrameSealer(key).sealFrame([Buffer.from('a'), Buffer.from('bc')]);
    const plain = new FrameSealer(key).seal([Buffer.from('abc')]);
    expect(framed.readUInt32BE(0)).to.equal(framed.length - 4);
    expect(framed.subarray(4)).to.deep.equal(plain);
    expect(new FrameOpener(key).open(framed.subarray(4)).toString()).to.equal('abc');
  });

  it('seals a frame as pieces for a vectored write: joined, the same bytes as sealFrame, and it opens', () => {
    const key = randomBytes(32);
    const parts = [randomBytes(18), randomBytes(300_000), Buffer.alloc(0), randomBytes(16)];
    const joined = new FrameSealer(key).sealFrame(parts);
    const pieces = new FrameSealer(key).sealFrameParts(parts);
    expect(Buffer.concat(pieces)).to.deep.equal(joined);
    expect(new FrameOpener(key).open(joined.subarray(4))).to.deep.equal(Buffer.concat(parts));
  });

  it('seals a backlog of many small records beside a large one in joined runs: few pieces, same bytes', () => {
    const key = randomBytes(32);
    const small = (n: number) => Array.from({ length: n }, () => randomBytes(150));
    const parts = [...small(600), randomBytes(200_000), ...small(50)];
    const joined = new FrameSealer(key).sealFrame(parts);
    const pieces = new FrameSealer(key).sealFrameParts(parts);
    expect(Buffer.concat(pieces)).to.deep.equal(joined);
    expect(new FrameOpener(key).open(joined.subarray(4))).to.deep.equal(Buffer.concat(parts));
    // Head, two runs of small records (600 × 150 B crosses the 64 KiB run size once), the large
    // record, the last run, the tag: not one piece (and one socket write) per record.
    expect(pieces.length).to.be.at.most(8);
  });
});
