import { expect } from 'chai';
import { asParlorError, ERROR_CODES, ParlorError, peerReason } from '../../src/protocol/errors.ts';

describe('protocol/errors', () => {
  it('a ParlorError carries its code, the table message by default, and serialises without its stack', () => {
    const error = new ParlorError('RATE_LIMITED', undefined, { retryAfterMs: 250 });
    expect(error.code).to.equal('RATE_LIMITED');
    expect(error.message).to.equal(ERROR_CODES.RATE_LIMITED);
    expect(JSON.parse(JSON.stringify(error))).to.deep.equal({ code: 'RATE_LIMITED', message: ERROR_CODES.RATE_LIMITED, retryAfterMs: 250 });
  });

  it('peerReason makes a ParlorError with no stack frames and leaves the stack limit as it was', () => {
    const before = Error.stackTraceLimit;
    const cause = new Error('ECONNRESET');
    const reason = peerReason('CONNECTION_CLOSED', 'the peer closed the connection', { cause });
    expect(reason).to.be.instanceOf(ParlorError);
    expect(reason.code).to.equal('CONNECTION_CLOSED');
    expect(reason.message).to.equal('the peer closed the connection');
    expect(reason.cause).to.equal(cause);
    expect(reason.stack ?? '').not.to.match(/\n\s+at /);
    expect(Error.stackTraceLimit).to.equal(before);
    expect(new ParlorError('INTERNAL').stack).to.match(/\n\s+at /);
  });

  it('asParlorError keeps a ParlorError and wraps anything else under the fallback code', () => {
    const own = new ParlorError('BLOCKED');
    expect(asParlorError(own)).to.equal(own);
    const wrapped = asParlorError('boom', 'BAD_MESSAGE');
    expect(wrapped.code).to.equal('BAD_MESSAGE');
    expect(wrapped.cause).to.equal('boom');
  });
});
