// The closing record's hand-written check (secure-connection.ts, readClosing) against the schema
// that is the contract (protocol/messages.ts, closingMessage): the same verdict on anything.

import { expect } from 'chai';
import fc from 'fast-check';
import { closingMessage } from '../../src/protocol/messages.ts';
import { readClosing } from '../../src/transport/secure-connection.ts';

const code = fc.oneof(
  fc.constantFrom('CONNECTION_CLOSED', 'LOGIN_TIMEOUT', 'SOME_FUTURE_CODE', 'A', 'lower', '', '_X', 'X-Y', 'A'.repeat(64), 'A'.repeat(65), 'CODE\n'),
  fc.string({ maxLength: 70 }),
  fc.integer(),
  fc.constant(null),
  fc.constant(undefined),
);
const message = fc.oneof(fc.string(), fc.integer(), fc.constant(null), fc.constant(undefined), fc.array(fc.string(), { maxLength: 2 }));

describe('transport/closing', () => {
  it('accepts and refuses exactly what closingMessage does, keeping code and message', () => {
    fc.assert(
      fc.property(code, message, fc.boolean(), (c, m, extra) => {
        const closing: Record<string, unknown> = { type: 'closing', code: c, message: m, ...(extra && { more: 1 }) };
        const schema = closingMessage.safeParse(closing);
        const read = readClosing(closing);
        expect(read !== undefined).to.equal(schema.success);
        if (schema.success) expect(read).to.deep.equal({ code: schema.data.code, message: schema.data.message });
      }),
      { numRuns: 2000 },
    );
  });

  it('takes a well-formed closing and refuses a malformed one', () => {
    expect(readClosing({ code: 'SLOW_CONSUMER', message: 'too slow' })).to.deep.equal({ code: 'SLOW_CONSUMER', message: 'too slow' });
    expect(readClosing({ code: 'slow', message: 'too slow' })).to.equal(undefined);
    expect(readClosing({ code: 'SLOW_CONSUMER' })).to.equal(undefined);
  });
});
