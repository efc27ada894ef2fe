import { expect } from 'chai';
import fc from 'fast-check';
import { RECORD_KIND_CHUNK, RECORD_KIND_WINDOW } from '../../src/protocol/constants.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { decodeRecords } from '../../src/protocol/records.ts';
import {
  CHUNK_FLAG_DEFLATED,
  CHUNK_RECORD_HEADER_BYTES,
  decodeChunkBody,
  decodeWindowBody,
  encodeChunkRecord,
  encodeWindowRecord,
  peekChunkBody,
} from '../../src/protocol/transfer-records.ts';

describe('protocol/transfer-records', () => {
  it('lays a chunk record out byte by byte as docs/protocol.md says', () => {
    const record = encodeChunkRecord({ transfer: 0x01020304, offset: 0x0506_0708_090a, flags: CHUNK_FLAG_DEFLATED, data: Buffer.from('hi') });
    expect(record.toString('hex')).to.equal('00000010' + '02' + '01020304' + '00000506' + '0708090a' + '01' + '6869');
    expect(record.length).to.equal(CHUNK_RECORD_HEADER_BYTES + 2);
  });

  it('lays a window record out byte by byte', () => {
    expect(encodeWindowRecord({ transfer: 7, bytes: 2 ** 32 + 1 }).toString('hex')).to.equal('0000000d' + '03' + '00000007' + '00000001' + '00000001');
  });

  it('round-trips chunks and windows through a frame of records, raw bytes included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff_ffff }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 300 }),
        (transfer, offset, bytes) => {
          const chunk = encodeChunkRecord({ transfer, offset, flags: 0, data: Buffer.from(bytes) });
          const window = encodeWindowRecord({ transfer, bytes: offset });
          const [first, second] = decodeRecords(Buffer.concat([chunk, window]));
          expect(first!.kind).to.equal(RECORD_KIND_CHUNK);
          expect(first!.raw.equals(chunk)).to.equal(true);
          const decoded = decodeChunkBody(first!.body);
          expect(decoded).to.deep.include({ transfer, offset, flags: 0 });
          expect(decoded.data.equals(Buffer.from(bytes))).to.equal(true);
          expect(peekChunkBody(first!.body)).to.deep.equal({ transfer, dataBytes: bytes.length });
          expect(second!.kind).to.equal(RECORD_KIND_WINDOW);
          expect(decodeWindowBody(second!.body)).to.deep.equal({ transfer, bytes: offset });
        },
      ),
    );
  });

  it('refuses a short chunk, unknown flags, a window of the wrong size, and offsets over 2^53', () => {
    const bad = (fn: () => unknown) => expect(fn).to.throw(ParlorError).with.property('code', 'BAD_MESSAGE');
    bad(() => decodeChunkBody(Buffer.alloc(12)));
    const flagged = Buffer.alloc(13);
    flagged[12] = 0x80;
    bad(() => decodeChunkBody(flagged));
    bad(() => decodeWindowBody(Buffer.alloc(11)));
    bad(() => decodeWindowBody(Buffer.from('00000001ffffffffffffffff', 'hex')));
  });
});
