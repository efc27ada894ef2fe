// The slow-down for password guessing (issue 17 item 11): keyed by (address, target, identity key)
// with an address-wide budget of wrong passwords, reset by a success, never shared across kinds,
// and never refusing a right password because of someone else's failures. Every client here
// comes from 127.0.0.1, as a LAN party behind one NAT would.

import { expect } from 'chai';
import type { ClientIdentity } from '../../src/crypto/identity.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { guessingAddress, PasswordGuard } from '../../src/server/password-guard.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { expectCode, startWorld, type World } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';

const ROOM_PASSWORD = 'open sesame';

describe('security: password guessing', function () {
  this.timeout(60_000);

  describe('PasswordGuard', () => {
    const address = '192.0.2.7';
    const wrong = () => false;
    const right = () => true;

    it('lets an identity fail its free tries, then makes only that identity wait; a success starts it afresh', async () => {
      const guard = new PasswordGuard({ freeTries: 5, addressBurst: 100, addressPerMinute: 100 });
      const mallory = { address, identity: 'SHA256:mallory' };
      const alice = { address, identity: 'SHA256:alice' };
      for (let i = 0; i < 5; i++) expect(await guard.attempt(mallory, 'join', wrong)).to.equal(false);
      const refused = await guard.attempt(mallory, 'join', right).catch((error: unknown) => error);
      expect(refused).to.be.instanceOf(ParlorError).and.to.include({ code: 'RATE_LIMITED' });
      expect((refused as ParlorError).retryAfterMs).to.be.greaterThan(0);
      // Another key at the same address, another target for the same key: untouched.
      expect(await guard.attempt(alice, 'join', right)).to.equal(true);
      expect(await guard.attempt(mallory, 'operator', wrong)).to.equal(false);
      expect(await guard.attempt(mallory, 'room:vault', right)).to.equal(true);
      // A success resets: 4 wrong, right, then 5 more wrong are all still checked.
      for (let i = 0; i < 4; i++) await guard.attempt(alice, 'room:vault', wrong);
      expect(await guard.attempt(alice, 'room:vault', right)).to.equal(true);
      for (let i = 0; i < 5; i++) expect(await guard.attempt(alice, 'room:vault', wrong), `try ${i + 1}`).to.equal(false);
    });

    it('holds an address to its budget of wrong passwords however many keys it uses, and checks a newcomer first', async () => {
      let now = 1_000_000;
      const guard = new PasswordGuard({ freeTries: 5, addressBurst: 3, addressPerMinute: 600 }, () => now);
      const checked: string[] = [];
      const attempt = (identity: string, verdict: boolean) =>
        guard.attempt({ address, identity }, 'room:vault', () => {
          checked.push(identity);
          return verdict;
        });
      // A guesser with a fresh key for every guess: the budget of 3 goes at once...
      for (const key of ['g1', 'g2', 'g3']) expect(await attempt(key, false)).to.equal(false);
      // ...then its further guesses wait, and so does the innocent user who came after them.
      const waiting = [attempt('g1', false), attempt('g4', false), attempt('innocent', true)];
      // A fixed wait on purpose: it proves that nothing is checked while the guard's clock stands still.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(checked, 'checked while the budget was spent (the clock stood still)').to.deep.equal(['g1', 'g2', 'g3']);
      // Time passes on the guard's clock: one wrong password's worth of budget each 100 ms of it
      // (the guard looks again when its own timer fires).
      now += 100;
      // The newcomers (no failures) go first, in their order: g4 now, then the innocent.
      await waitUntil(() => checked.length > 3, 'an attempt checked once the clock moved');
      expect(checked).to.deep.equal(['g1', 'g2', 'g3', 'g4']);
      expect(await waiting[1]!).to.equal(false);
      now += 100;
      expect(await waiting[2]!, 'the right password is accepted, not refused').to.equal(true);
      // Its share given back, the key that had failed before is checked at once, last.
      expect(await waiting[0]!).to.equal(false);
      expect(checked).to.deep.equal(['g1', 'g2', 'g3', 'g4', 'innocent', 'g1']);
    });

    it('counts an IPv6 /64 as one address, and an IPv4-mapped address as its IPv4 one', () => {
      expect(guessingAddress('2001:db8:1:2:aaaa::1')).to.equal(guessingAddress('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
      expect(guessingAddress('2001:db8:1:2::1')).not.to.equal(guessingAddress('2001:db8:1:3::1'));
      expect(guessingAddress('fe80::1%eth0')).to.equal('fe80:0:0:0::/64');
      expect(guessingAddress('::ffff:192.0.2.7')).to.equal('192.0.2.7');
      expect(guessingAddress('192.0.2.7')).to.equal('192.0.2.7');
    });

    it('lets one attempt per identity wait: a second one is its own doing (RATE_LIMITED)', async () => {
      const now = 5_000;
      const guard = new PasswordGuard({ freeTries: 5, addressBurst: 1, addressPerMinute: 1 }, () => now);
      await guard.attempt({ address, identity: 'g' }, 'join', wrong);
      void guard.attempt({ address, identity: 'g' }, 'join', wrong);
      const second = await guard.attempt({ address, identity: 'g' }, 'join', wrong).catch((error: unknown) => error);
      expect(second).to.be.instanceOf(ParlorError).and.to.include({ code: 'RATE_LIMITED' });
    });
  });

  describe('on a server, everyone behind one address', () => {
    let world: World;
    let ids: ClientIdentity[];
    before(async () => (ids = await sharedIdentities()));
    afterEach(async () => world.stop());

    it('five wrong join passwords "as alice" from another key do not stop alice with the right one', async () => {
      world = await startWorld({ ephemeral: true });
      const mallory = ids[2]!;
      for (let i = 0; i < 5; i++) await expectCode(world.login('alice', { identity: mallory, password: `guess ${i}` }), 'BAD_PASSWORD');
      await expectCode(world.login('alice', { identity: mallory, password: `guess 6` }), 'RATE_LIMITED');
      const alice = await world.login('alice', { identity: ids[0]! });
      expect(alice.name).to.equal('alice');
    });

    it("another user's wrong room and operator passwords do not delay a right one; kinds never share a counter; a success resets", async () => {
      world = await startWorld({ ephemeral: true, operatorPassword: 'op-secret' });
      const owner = await world.login('owner', { identity: ids[0]! });
      await owner.create('vault', ROOM_PASSWORD);
      const bob = await world.login('bob', { identity: ids[1]! });
      const cy = await world.login('cy', { identity: ids[2]! });
      for (let i = 0; i < 5; i++) await expectCode(bob.join('vault', `guess ${i}`), 'BAD_PASSWORD');
      await expectCode(bob.join('vault', ROOM_PASSWORD), 'RATE_LIMITED');
      for (let i = 0; i < 5; i++) await expectCode(bob.request('op', { password: `guess ${i}` }), 'BAD_PASSWORD');
      await expectCode(bob.request('op', { password: 'op-secret' }), 'RATE_LIMITED');
      // cy, from the same address, is let in at once by either password.
      expect((await cy.join('vault', ROOM_PASSWORD)).room).to.equal('vault');
      expect(await cy.request('op', { password: 'op-secret' })).to.deep.equal({ operator: true });
      // bob's failures on vault and on the operator password do not touch another room's.
      await owner.create('den', 'den-pass');
      await expectCode(bob.join('den', 'wrong'), 'BAD_PASSWORD');
      expect((await bob.join('den', 'den-pass')).room).to.equal('den');
      // A success reset bob's counter on den: five more wrong ones are all checked.
      await bob.leave('den');
      for (let i = 0; i < 5; i++) await expectCode(bob.join('den', `guess ${i}`), 'BAD_PASSWORD');
    });

    it('many names from one address: a guesser with several keys is slowed, every other user with the right password gets in', async () => {
      world = await startWorld({ ephemeral: true, passwordGuessBurst: 8, passwordGuessesPerMinute: 600 });
      const owner = await world.login('owner', { identity: ids[0]! });
      await owner.create('vault', ROOM_PASSWORD);
      const guessers = await Promise.all([1, 2, 3].map((i) => world.login(`guesser${i}`)));
      const outcomes = await Promise.all(
        guessers.map(async (guesser) => {
          const codes: string[] = [];
          for (let i = 0; i < 6; i++) codes.push(await guesser.join('vault', `guess ${i}`).then(() => 'ok', (error: ParlorError) => error.code));
          return codes;
        }),
      );
      for (const codes of outcomes) expect(codes).to.deep.equal(['BAD_PASSWORD', 'BAD_PASSWORD', 'BAD_PASSWORD', 'BAD_PASSWORD', 'BAD_PASSWORD', 'RATE_LIMITED']);
      const guests = await Promise.all(['ana', 'ben', 'cat', 'dov', 'eve', 'fay'].map((name) => world.login(name)));
      const joined = await Promise.all(guests.map((guest) => guest.join('vault', ROOM_PASSWORD)));
      expect(joined.map((reply) => reply.room)).to.deep.equal(new Array(6).fill('vault'));
    });
  });
});
