// End-to-end messages through a real server and real clients: DMs sealed by default, secret rooms,
// history, offline delivery, blocking, keys handed out, and trust on first use for peers.

import { expect } from 'chai';
import type { ChatClient } from '../../../src/client/chat-client.ts';
import type { DeliveredMessage } from '../../../src/client/e2e/e2e.ts';
import type { PeerKeyChange } from '../../../src/client/e2e/peer-keys.ts';
import type { ClientIdentity } from '../../../src/crypto/identity.ts';
import { collect, disconnected, expectCode, loginOnceLapsed, nextMessages, settle, startWorld, type World } from '../../helpers/chat-world.ts';
import { sharedIdentities } from '../../helpers/identities.ts';
import { tempDir } from '../../helpers/temp-dir.ts';


describe('client/e2e', () => {
  let world: World;
  let ids: ClientIdentity[];
  before(async () => (ids = await sharedIdentities()));
  afterEach(async () => {
    await world?.stop();
  });

  /** A client with a config dir of its own that outlives one login (its known_peers). */
  const login = (name: string, identity: ClientIdentity, configDir = tempDir('e2e-client')): Promise<ChatClient> => world.login(name, { identity, configDir });

  const verified = (message: DeliveredMessage | undefined) => {
    expect(message?.e2e, JSON.stringify(message)).to.deep.include({ state: 'verified' });
    return message!.text;
  };

  describe('direct messages', () => {
    beforeEach(async () => (world = await startWorld()));

    it('are sealed by default: the recipient reads them, the server relays only an envelope', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      const got = nextMessages(bob);
      await ada.dm('bob', 'the vault code is 0451');
      const [message] = await got;
      expect(verified(message)).to.equal('the vault code is 0451');
      expect(message!.e2e).to.deep.include({ state: 'verified', fingerprint: ids[0]!.fingerprint, timeMismatch: false });
      const page = await bob.history({ with: 'ada' });
      expect(page.messages.map((m) => m.text)).to.deep.equal(['the vault code is 0451']);
      // The server's copy: an envelope and no text.
      const raw = await bob.request('history', { with: 'ada' });
      expect(raw.messages[0]!.text).to.equal('');
      expect(raw.messages[0]!.sealed).to.be.a('string');
    });

    it("stay readable in the sender's own history (sealed to its own key too)", async () => {
      const ada = await login('ada', ids[0]!);
      await login('bob', ids[1]!);
      await ada.dm('bob', 'note to self as well');
      const page = await ada.history({ with: 'bob' });
      expect(verified(page.messages[0])).to.equal('note to self as well');
    });

    it('reach an offline recipient sealed, at its next login', async () => {
      const bobConfig = tempDir('bob');
      (await login('bob', ids[1]!, bobConfig)).close();
      const ada = await login('ada', ids[0]!);
      await ada.dm('bob', 'while you were out');
      const bob = await login('bob', ids[1]!, bobConfig);
      expect(bob.direct.map((m) => verified(m))).to.deep.equal(['while you were out']);
    });

    it('to a name whose key the server never saw: USER_NOT_FOUND', async () => {
      const ada = await login('ada', ids[0]!);
      await expectCode(ada.dm('nobody', 'hello?'), 'USER_NOT_FOUND');
      await expectCode(ada.request('e2e_dm', { to: 'nobody', sealed: 'UEUyRQAAAAAA' }), 'USER_NOT_FOUND');
    });

    it('are refused with BLOCKED either way while one blocks the other', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      await bob.block('ada');
      await expectCode(ada.dm('bob', 'let me in'), 'BLOCKED');
      await expectCode(bob.dm('ada', 'no'), 'BLOCKED');
      await bob.unblock('ada');
      const got = nextMessages(bob);
      await ada.dm('bob', 'thanks');
      expect(verified((await got)[0])).to.equal('thanks');
    });

    it('whois gives the key the server has, and says whether it matches known_peers', async () => {
      const ada = await login('ada', ids[0]!);
      await login('bob', ids[1]!);
      const first = await ada.whois('bob');
      expect(first).to.include({ name: 'bob', fingerprint: ids[1]!.fingerprint, online: true, trust: 'new' });
      await ada.dm('bob', 'pinned now');
      expect((await ada.whois('bob')).trust).to.equal('known');
      expect((await ada.whois('ada')).trust).to.equal('you');
      await expectCode(ada.whois('nobody'), 'USER_NOT_FOUND');
    });
  });

  describe('a changed peer key', () => {
    beforeEach(async () => (world = await startWorld({ nameReservationMs: 50 })));

    it('is reported loudly, nothing is sealed to it, until the user accepts it', async () => {
      const ada = await login('ada', ids[0]!);
      (await login('bob', ids[1]!)).close();
      await ada.dm('bob', 'to the first bob');
      await disconnected(world, 'bob');
      // Someone else holds the name "bob" now (the reservation lapsed), with another key.
      const impostor = await loginOnceLapsed(() => login('bob', ids[2]!));
      const changes: PeerKeyChange[] = [];
      ada.on('peerKeyChanged', (change) => changes.push(change));
      const error = await expectCode(ada.dm('bob', 'secret for bob'), 'E2E_PEER_KEY_CHANGED');
      expect(error.message).to.include('IDENTITY KEY HAS CHANGED').and.include(ids[2]!.fingerprint);
      expect(changes).to.have.length(1);
      expect(changes[0]).to.include({ name: 'bob', trusted: ids[1]!.fingerprint, presented: ids[2]!.fingerprint });
      expect((await ada.whois('bob')).trust).to.equal('changed');
      // Messages signed by the new key are not believed either.
      const got = nextMessages(ada);
      await impostor.dm('ada', 'it is me, bob');
      const [refused] = await got;
      expect(refused!.e2e).to.deep.include({ state: 'rejected', code: 'E2E_PEER_KEY_CHANGED' });
      expect(refused!.text).to.equal('');
      // The user compared fingerprints and accepts.
      expect(ada.acceptPeerKey('bob')).to.equal(true);
      const delivered = nextMessages(impostor);
      await ada.dm('bob', 'welcome, new bob');
      expect(verified((await delivered)[0])).to.equal('welcome, new bob');
    });

    it('survives a restart of the client: known_peers is a file in its config dir', async () => {
      const adaConfig = tempDir('ada');
      const ada = await login('ada', ids[0]!, adaConfig);
      (await login('bob', ids[1]!)).close();
      await ada.dm('bob', 'first');
      ada.close();
      await disconnected(world, 'bob');
      await loginOnceLapsed(() => login('bob', ids[2]!));
      const again = await login('ada', ids[0]!, adaConfig);
      await expectCode(again.dm('bob', 'second'), 'E2E_PEER_KEY_CHANGED');
    });
  });

  describe('secret rooms', () => {
    beforeEach(async () => (world = await startWorld()));

    it('take only sealed messages: plaintext say gets E2E_REQUIRED; members read what is sealed', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      const created = await ada.create('vault', undefined, { secret: true });
      expect(created.secret).to.equal(true);
      expect(ada.isSecretRoom('#vault')).to.equal(true);
      const joined = await bob.join('vault');
      expect(joined.keys!.map((k) => k.name).sort()).to.deep.equal(['ada', 'bob']);
      await expectCode(bob.request('say', { room: 'vault', text: 'in the clear' }), 'E2E_REQUIRED');
      const got = nextMessages(bob);
      await ada.say('vault', 'sealed for the room');
      expect(verified((await got)[0])).to.equal('sealed for the room');
      // The plaintext lobby is as it was.
      await ada.join('lobby');
      await bob.join('lobby');
      const plain = nextMessages(bob);
      await ada.say('lobby', 'hello all');
      const [message] = await plain;
      expect(message).to.include({ text: 'hello all' });
      expect(message!.e2e).to.deep.equal({ state: 'none' });
    });

    it('with a password: the password still gates the join', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      await ada.create('locked', 'hunter2', { secret: true });
      await expectCode(bob.join('locked'), 'PASSWORD_REQUIRED');
      await expectCode(bob.join('locked', 'guess'), 'BAD_PASSWORD');
      expect((await bob.join('locked', 'hunter2')).secret).to.equal(true);
      const got = nextMessages(ada);
      await bob.say('locked', 'in');
      expect(verified((await got)[0])).to.equal('in');
    });

    it('a member who joins later sees earlier messages flagged as not sealed to it, and reads later ones', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      await ada.create('vault', undefined, { secret: true });
      await bob.join('vault');
      await ada.say('vault', 'before cy came');
      const cy = await login('cy', ids[2]!);
      const joined = await cy.join('vault');
      expect(joined.notSealedToYou).to.equal(1);
      expect(joined.history[0]!.e2e).to.deep.include({ state: 'not-sealed-to-you', fingerprint: ids[0]!.fingerprint });
      expect(joined.history[0]!.text).to.equal('');
      await settle(ada);
      const got = nextMessages(cy);
      await ada.say('vault', 'after cy came');
      expect(verified((await got)[0])).to.equal('after cy came');
      // Bob, who was there, reads both in history.
      const page = await bob.history({ room: 'vault' });
      expect(page.messages.map((m) => verified(m))).to.deep.equal(['before cy came', 'after cy came']);
      expect(page.notSealedToYou).to.equal(0);
    });

    it('hide the messages of a blocked member, live and in history', async () => {
      const ada = await login('ada', ids[0]!);
      const bob = await login('bob', ids[1]!);
      const cy = await login('cy', ids[2]!);
      await ada.create('vault', undefined, { secret: true });
      await bob.join('vault');
      await cy.join('vault');
      await bob.block('ada');
      const toBob = collect(bob);
      const toCy = nextMessages(cy);
      await ada.say('vault', 'bob will not see this');
      expect(verified((await toCy)[0])).to.equal('bob will not see this');
      await settle(bob);
      expect(toBob).to.deep.equal([]);
      expect((await bob.history({ room: 'vault' })).messages).to.deep.equal([]);
    });
  });

  describe('a big secret room', () => {
    const PAGE_BYTES = 16 * 1024;
    beforeEach(async () => (world = await startWorld({ historyPageBytes: PAGE_BYTES })));

    it('keeps its join reply within one page: the members and their keys come out of the history budget', async () => {
      // Thirty lines said while the room was two (small, sealed to two), then twenty more join:
      // the keys of 22 members are a large part of a page of those lines.
      const [ada, bob] = [await world.login('ada'), await world.login('bob')];
      await ada.create('vault', undefined, { secret: true });
      await bob.join('vault');
      for (let i = 0; i < 30; i++) await ada.say('vault', `sealed line ${i}`);
      for (const member of await Promise.all(Array.from({ length: 20 }, (_, i) => world.login(`member${i}`)))) await member.join('vault');
      const zed = await world.login('zed');
      const reply = (await zed.request('join', { room: 'vault' })) as { members: string[]; keys: unknown[]; history: Array<{ id: number }>; more: boolean };
      expect(reply.keys).to.have.length(23);
      const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));
      const largest = Math.max(...reply.history.map(size));
      // The page may run over by the one message that crosses the line, never by the roster.
      expect(size(reply.members) + size(reply.keys) + size(reply.history)).to.be.at.most(PAGE_BYTES + largest);
      expect(reply.more).to.equal(true);
      expect(reply.history.length).to.be.greaterThan(0);
      // What did not fit is pages back, as always.
      let seen = reply.history.length;
      let before = reply.history[0]!.id;
      for (let more = true; more && seen < 100; ) {
        const older = await zed.history({ room: 'vault', before });
        seen += older.messages.length;
        more = older.more;
        if (older.messages.length > 0) before = older.messages[0]!.id;
      }
      expect(seen).to.equal(30);
    });
  });
});
