// RateBudgets on its own, with the clock passed in: the budget is the identity's and its address's,
// and a strike is a request sent before the wait it was told.

import { expect } from 'chai';
import { RateBudgets } from '../../src/server/rate-budget.ts';

const policy = { perSecond: 1, burst: 2, addressPerSecond: 10, addressBurst: 3, strikes: 2, windowMs: 10_000 };

describe('server/rate-budget', () => {
  it('shares one bucket between every session of an identity, and bounds the identities of an address together', () => {
    const budgets = new RateBudgets(policy);
    expect(budgets.spend('key-a', '10.0.0.1', 's1:1', 0).ok).to.equal(true);
    expect(budgets.spend('key-a', '10.0.0.1', 's2:1', 0).ok, 'a second session of the same key').to.equal(true);
    expect(budgets.spend('key-a', '10.0.0.1', 's3:1', 0)).to.include({ ok: false, retryAfterMs: 1000 });
    expect(budgets.spend('key-b', '10.0.0.1', 's4:1', 0).ok, 'another key from the address').to.equal(true);
    // The address's 3 are spent: a fresh key behind it waits too, one elsewhere does not.
    expect(budgets.spend('key-c', '10.0.0.1', 's5:1', 0).ok).to.equal(false);
    expect(budgets.spend('key-c', '10.0.0.2', 's6:1', 0).ok).to.equal(true);
  });

  it('counts a strike only for a request sent before its wait was over, and not for the rest of the refused frame', () => {
    const budgets = new RateBudgets(policy);
    budgets.spend('key', 'addr', 'f1', 0);
    budgets.spend('key', 'addr', 'f1', 0);
    // The rest of that frame: refused, never a strike however many.
    for (let i = 0; i < 5; i++) expect(budgets.spend('key', 'addr', 'f1', 0)).to.deep.equal({ ok: false, retryAfterMs: 1000, flooding: false });
    // Waited as told: a token, no strike.
    expect(budgets.spend('key', 'addr', 'f2', 1000).ok).to.equal(true);
    // Told to wait 1000 ms again at 1000, then sent at 1200 and 1300 in later frames: two strikes.
    expect(budgets.spend('key', 'addr', 'f3', 1000)).to.include({ ok: false, flooding: false });
    expect(budgets.spend('key', 'addr', 'f4', 1200)).to.include({ ok: false, flooding: false });
    expect(budgets.spend('key', 'addr', 'f5', 1300)).to.include({ ok: false, flooding: true });
  });
});
