import { expect } from 'chai';
import { ParlorError } from '../../src/protocol/errors.ts';
import { decodeRecords, encodeJsonRecord, parseJsonRecord } from '../../src/protocol/records.ts';

describe('protocol/records', () => {
  it('round-trips several JSON messages through one plaintext', () => {
    const messages = [{ type: 'a', n: 1 }, { type: 'b', text: 'héllo ✓' }, {}];
    const plaintext = Buffer.concat(messages.map(encodeJsonRecord));
    expect(decodeRecords(plaintext).map(parseJsonRecord)).to.deep.equal(messages);
  });

  for (const [label, bytes, code] of [
    ['an empty plaintext', Buffer.alloc(0), 'BAD_MESSAGE'],
    ['a truncated record header', Buffer.from([0, 0]), 'BAD_MESSAGE'],
    ['a record that overruns its frame', Buffer.from([0, 0, 0, 9, 1, 0x7b]), 'BAD_MESSAGE'],
    ['a zero-length record', Buffer.from([0, 0, 0, 0]), 'BAD_MESSAGE'],
  ] as const) {
    it(`refuses ${label} with ${code}`, () => {
      expect(() => decodeRecords(bytes)).to.throw(ParlorError).with.property('code', code);
    });
  }

  it('refuses a record of unknown kind and one that is not JSON', () => {
    expect(() => parseJsonRecord({ kind: 0x09, body: Buffer.from('{}') })).to.throw(ParlorError).with.property('code', 'BAD_MESSAGE');
    expect(() => parseJsonRecord({ kind: 0x01, body: Buffer.from('{nope') })).to.throw(ParlorError).with.property('code', 'BAD_MESSAGE');
  });
});
