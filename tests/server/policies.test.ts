// The small policies under the chat: token bucket, password slow-down, password hashing, names.

import { expect } from 'chai';
import { FailureTracker } from '../../src/server/limits.ts';
import { TokenBucket } from '../../src/token-bucket.ts';
import { checkRoomName, checkUserName } from '../../src/server/names.ts';
import { constantTimeEqual, generatePassword, hashPassword, verifyPassword } from '../../src/server/passwords.ts';
import { ParlorError } from '../../src/protocol/errors.ts';

describe('server policies', () => {
  describe('TokenBucket', () => {
    it('allows a burst, then refills at its rate, and says how long to wait', () => {
      const bucket = new TokenBucket(10, 3, 0);
      expect([0, 0, 0].map((t) => bucket.take(t).ok)).to.deep.equal([true, true, true]);
      const refused = bucket.take(0);
      expect(refused).to.deep.equal({ ok: false, retryAfterMs: 100 });
      expect(bucket.take(99).ok).to.equal(false);
      expect(bucket.take(100).ok).to.equal(true);
      expect(bucket.take(10_000).ok).to.equal(true);
    });
  });

  describe('FailureTracker', () => {
    it('lets 5 failures go free, then doubles the wait, and forgets after a quiet spell', () => {
      const tracker = new FailureTracker(5, 300_000, 900_000);
      for (let i = 0; i < 5; i++) {
        expect(tracker.waitMs('k', 0)).to.equal(0);
        tracker.fail('k', 0);
      }
      expect(tracker.waitMs('k', 0)).to.equal(1000);
      tracker.fail('k', 1000);
      expect(tracker.waitMs('k', 1000)).to.equal(2000);
      expect(tracker.waitMs('other', 1000)).to.equal(0);
      expect(tracker.waitMs('k', 1000 + 900_001)).to.equal(0);
    });

    it('caps the wait, and a success clears the key', () => {
      const tracker = new FailureTracker(0, 5000, 900_000);
      for (let i = 0; i < 30; i++) tracker.fail('k', 0);
      expect(tracker.waitMs('k', 0)).to.equal(5000);
      tracker.succeed('k');
      expect(tracker.waitMs('k', 0)).to.equal(0);
    });
  });

  describe('passwords', () => {
    it('hashes with scrypt and a salt of its own, and verifies only the right password', async () => {
      const [a, b] = await Promise.all([hashPassword('open sesame'), hashPassword('open sesame')]);
      expect(a).to.match(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
      expect(a).not.to.equal(b);
      expect(await verifyPassword('open sesame', a)).to.equal(true);
      expect(await verifyPassword('open sesame!', a)).to.equal(false);
      expect(await verifyPassword('open sesame', 'plain')).to.equal(false);
    });

    it('compares in constant time whatever the lengths', () => {
      expect(constantTimeEqual('abc', 'abc')).to.equal(true);
      expect(constantTimeEqual('abc', 'abcd')).to.equal(false);
    });

    it('generates readable passwords of 60 bits, all different', () => {
      const made = new Set(Array.from({ length: 200 }, generatePassword));
      expect(made.size).to.equal(200);
      for (const password of made) expect(password).to.match(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/).and.not.match(/[lo01]/);
    });
  });

  describe('names', () => {
    it('folds case and normalises to NFC, keeping the display form', () => {
      expect(checkUserName('Ada')).to.deep.equal({ display: 'Ada', key: 'ada' });
      expect(checkUserName('Jose\u0301')).to.deep.equal({ display: 'Jos\u00e9', key: 'jos\u00e9' });
      expect(checkUserName('李雷')).to.deep.equal({ display: '李雷', key: '李雷' });
      expect(checkRoomName('#Ops')).to.deep.equal({ display: 'Ops', key: 'ops' });
    });

    for (const bad of ['a b', '\u202Eevil', 'a\u200Db', 'x\u0000', '.dot', 'é'.repeat(33), '@ada', 'a/b']) {
      it(`refuses ${JSON.stringify(bad)}`, () => {
        expect(() => checkUserName(bad)).to.throw(ParlorError).with.property('code', 'NAME_INVALID');
        expect(() => checkRoomName(bad)).to.throw(ParlorError).with.property('code', 'ROOM_INVALID');
      });
    }
  });
});
