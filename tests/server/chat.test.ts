// The chat's semantics, end to end through real sockets: every behaviour of issue 4 that is about
// who may do what and who hears of it.

import { expect } from 'chai';
import { ParlorClient } from '../../src/client/client.ts';
import { ParlorServer } from '../../src/server/server.ts';
import { collect, disconnected, expectCode, loginOnceLapsed, nextMessages, PASSWORD, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('server/chat', () => {
  let world: World;
  afterEach(async () => world?.stop());

  describe('logging in', () => {
    beforeEach(async () => (world = await startWorld()));

    it('refuses a wrong join password with BAD_PASSWORD', async () => {
      await expectCode(world.login('ada', { password: 'wrong' }), 'BAD_PASSWORD');
    });

    it('binds a name to the key that first used it: another key gets NAME_TAKEN while it is online, NAME_RESERVED after', async () => {
      const [, , other] = await sharedIdentities();
      const ada = await world.login('ada');
      await expectCode(world.login('ADA', { identity: other }), 'NAME_TAKEN');
      ada.close();
      await disconnected(world, 'ada');
      const error = await expectCode(world.login('Ada', { identity: other }), 'NAME_RESERVED');
      expect(error.message).to.match(/until \d{4}-\d{2}-\d{2}/);
      const again = await world.login('ada');
      expect(again.name).to.equal('ada');
    });

    it('lets a name go to another key once its reservation lapsed', async () => {
      await world.stop();
      world = await startWorld({ nameReservationMs: 50 });
      const [, , other] = await sharedIdentities();
      (await world.login('cy')).close();
      await disconnected(world, 'cy');
      expect((await loginOnceLapsed(() => world.login('cy', { identity: other }))).name).to.equal('cy');
    });

    it('replaces the sessions of the same key when a login asks to (--replace)', async () => {
      const first = await world.login('bo');
      const closed = new Promise<string>((resolve) => first.once('closed', ({ reason }) => resolve(reason.code)));
      const second = await world.login('bo', { replace: true });
      expect(await closed).to.equal('SESSION_REPLACED');
      expect((await second.whoami()).name).to.equal('bo');
    });

    for (const bad of ['', 'with space', 'a\u202Egnp', 'zero\u200Bwidth', 'tab\t', '-dash', 'x'.repeat(33), 'new\nline']) {
      it(`refuses the name ${JSON.stringify(bad)} with NAME_INVALID`, async () => {
        await expectCode(world.login(bad), bad === '' ? 'BAD_REQUEST' : 'NAME_INVALID');
      });
    }

    it('takes names in NFC, and case-insensitively unique', async () => {
      const decomposed = 'Jose\u0301';
      const jose = await world.login(decomposed);
      expect(jose.name).to.equal('Jos\u00e9');
      const [, , other] = await sharedIdentities();
      await expectCode(world.login('JOS\u00c9', { identity: other }), 'NAME_TAKEN');
    });

    it('answers NOT_LOGGED_IN before login, and ALREADY_LOGGED_IN to a second login', async () => {
      const [identity] = await sharedIdentities();
      const raw = await ParlorClient.connect({ host: '127.0.0.1', port: world.server.address.port, identity: identity!, configDir: tempDir('c'), fingerprint: world.server.fingerprint });
      await expectCode(raw.request('rooms'), 'NOT_LOGGED_IN');
      await raw.request('login', { name: 'dee', password: PASSWORD });
      await expectCode(raw.request('login', { name: 'dee', password: PASSWORD }), 'ALREADY_LOGGED_IN');
      raw.close();
    });
  });

  describe('rooms and messages', () => {
    beforeEach(async () => (world = await startWorld()));

    it('delivers a room message to the other members, acknowledged to the sender with its id', async () => {
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      await ada.join('lobby');
      await bob.join('lobby');
      const arriving = nextMessages(bob);
      const ack = await ada.say('lobby', 'hello, bob');
      const [message] = await arriving;
      expect(message).to.deep.equal({ type: 'message', id: ack.id, room: 'lobby', from: 'ada', text: 'hello, bob', ts: ack.ts, e2e: { state: 'none' } });
    });

    it('tells members who joins and who leaves', async () => {
      const ada = await world.login('ada');
      await ada.join('lobby');
      const joined = new Promise((resolve) => ada.once('joined', resolve));
      const bob = await world.login('bob');
      await bob.join('lobby');
      expect(await joined).to.deep.equal({ type: 'joined', room: 'lobby', name: 'bob', returning: false });
      const left = new Promise((resolve) => ada.once('left', resolve));
      await bob.leave('lobby');
      expect(await left).to.deep.equal({ type: 'left', room: 'lobby', name: 'bob', reason: 'left' });
      await bob.join('lobby');
      const gone = new Promise((resolve) => ada.once('left', resolve));
      bob.close();
      expect(await gone).to.deep.equal({ type: 'left', room: 'lobby', name: 'bob', reason: 'disconnected' });
    });

    it('creates rooms, lists them with member counts, and keeps non-members out of them', async () => {
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      const created = await ada.create('#Ops');
      expect(created).to.include({ room: 'Ops', hasPassword: false });
      expect(created.members).to.deep.equal(['ada']);
      await expectCode(bob.create('ops'), 'ROOM_EXISTS');
      await expectCode(bob.say('ops', 'let me in'), 'NOT_IN_ROOM');
      await expectCode(bob.join('nowhere'), 'ROOM_NOT_FOUND');
      await expectCode(bob.create('bad room'), 'ROOM_INVALID');
      const { rooms } = await bob.listRooms();
      expect(rooms).to.deep.include({ name: 'Ops', members: 1, hasPassword: false, secret: false });
      expect(rooms.map((r) => r.name)).to.include('lobby');
      await bob.create('vault', undefined, { secret: true });
      // A secret room is listed to its members only (tests/server/secret-rooms.test.ts).
      expect((await bob.listRooms()).rooms).to.deep.include({ name: 'vault', members: 1, hasPassword: false, secret: true });
      expect((await ada.listRooms()).rooms.map((r) => r.name)).not.to.include('vault');
      const members = await ada.members('ops');
      expect(members.members.map((m) => m.name)).to.deep.equal(['ada']);
    });

    it('gates a room by its own password: none gets PASSWORD_REQUIRED, wrong gets BAD_PASSWORD, right gets in; the hash is never the password', async () => {
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      expect(await ada.create('vault', 's3cret')).to.include({ hasPassword: true });
      const none = await expectCode(bob.join('vault'), 'PASSWORD_REQUIRED');
      const wrong = await expectCode(bob.join('vault', 'guess'), 'BAD_PASSWORD');
      // Told apart in words too: the UI and the CLI show the message beside the code.
      expect(none.message).to.contain('has a password');
      expect(wrong.message).to.contain('not the password');
      expect((await bob.join('vault', 's3cret')).members).to.have.members(['ada', 'bob']);
      const stored = (world.server as unknown as { store: { getRoom(k: string): { passwordHash: string } } }).store.getRoom('vault');
      expect(stored.passwordHash).to.match(/^scrypt\$/).and.not.include('s3cret');
    });

    it('refuses a message over the length cap with MESSAGE_TOO_LONG', async () => {
      const ada = await world.login('ada');
      await ada.join('lobby');
      await expectCode(ada.say('lobby', 'é'.repeat(2049)), 'MESSAGE_TOO_LONG');
      expect(await ada.say('lobby', 'é'.repeat(2048))).to.have.property('id');
    });

    it('gives history on join oldest first, and pages further back', async () => {
      const ada = await world.login('ada');
      await ada.join('lobby');
      const ids: number[] = [];
      for (let i = 0; i < 120; i++) ids.push((await ada.say('lobby', `m${i}`)).id);
      const bob = await world.login('bob');
      const joined = await bob.join('lobby');
      expect(joined.history.map((m) => m.text)).to.deep.equal(Array.from({ length: 50 }, (_, i) => `m${70 + i}`));
      expect(joined.more).to.equal(true);
      const page = await bob.history({ room: 'lobby', before: joined.history[0]!.id, limit: 60 });
      expect(page.messages.map((m) => m.text)).to.deep.equal(Array.from({ length: 60 }, (_, i) => `m${10 + i}`));
      expect(page.more).to.equal(true);
      const last = await bob.history({ room: 'lobby', before: page.messages[0]!.id, limit: 60 });
      expect(last.messages.map((m) => m.id)).to.deep.equal(ids.slice(0, 10));
      expect(last.more).to.equal(false);
    });
  });

  describe('direct messages', () => {
    beforeEach(async () => (world = await startWorld()));

    it('delivers live, and keeps them for a user who is offline until their next login', async () => {
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      const arriving = nextMessages(bob);
      const ack = await ada.dm('BOB', 'psst');
      expect(ack.to).to.equal('bob');
      expect((await arriving)[0]).to.deep.include({ id: ack.id, to: 'bob', from: 'ada', text: 'psst' });
      bob.close();
      await ada.dm('bob', 'while you were out');
      const back = await world.login('bob');
      expect(back.direct.map((m) => m.text)).to.deep.equal(['psst', 'while you were out']);
      expect((await back.history({ with: 'ada' })).messages).to.have.length(2);
    });

    it('says USER_NOT_FOUND for a name never seen', async () => {
      const ada = await world.login('ada');
      await expectCode(ada.dm('nobody', 'hello?'), 'USER_NOT_FOUND');
    });
  });

  describe('blocking', () => {
    it('stops messages both ways, for rooms, DMs and history, and survives a restart', async () => {
      const dataDir = tempDir('world');
      world = await startWorld({ dataDir });
      let ada = await world.login('ada');
      let bob = await world.login('bob');
      const cy = await world.login('cy');
      for (const client of [ada, bob, cy]) await client.join('lobby');
      await bob.say('lobby', 'before the block');
      // Room messages to a busy reader may wait a few ms to share a frame: let them land first.
      await Promise.all([settle(ada), settle(cy)]);
      expect(await ada.block('BOB')).to.deep.equal({ name: 'bob' });
      await expectCode(ada.block('ada'), 'BAD_REQUEST');
      await expectCode(ada.block('nobody'), 'USER_NOT_FOUND');
      expect(await ada.blocked()).to.deep.equal({ names: ['bob'] });

      const adaGot = collect(ada);
      const bobGot = collect(bob);
      const cyGot = collect(cy);
      await bob.say('lobby', 'from bob');
      await ada.say('lobby', 'from ada');
      await expectCode(bob.dm('ada', 'let me explain'), 'BLOCKED');
      await expectCode(ada.dm('bob', 'no'), 'BLOCKED');
      await Promise.all([settle(ada), settle(bob), settle(cy)]);
      expect(adaGot.map((m) => m.text)).to.deep.equal([]);
      expect(bobGot.map((m) => m.text)).to.deep.equal([]);
      expect(cyGot.map((m) => m.text)).to.deep.equal(['from bob', 'from ada']);
      expect((await ada.history({ room: 'lobby' })).messages.map((m) => m.text)).to.deep.equal(['from ada']);

      const port = world.server.address.port;
      await world.stop();
      world = await startWorld({ dataDir, port });
      ada = await world.login('ada');
      bob = await world.login('bob');
      expect(await ada.blocked()).to.deep.equal({ names: ['bob'] });
      await expectCode(bob.dm('ada', 'still?'), 'BLOCKED');
      await ada.unblock('bob');
      const arriving = nextMessages(ada);
      await bob.dm('ada', 'thanks');
      expect((await arriving)[0]!.text).to.equal('thanks');
    });
  });

  describe('people', () => {
    beforeEach(async () => (world = await startWorld()));

    it('lists users online with last-message time, everyone ever seen, and who I am', async () => {
      const ada = await world.login('ada');
      const bob = await world.login('bob');
      await ada.join('lobby');
      const { ts } = await ada.say('lobby', 'hi');
      const { users } = await bob.users();
      expect(users).to.deep.include({ name: 'ada', lastMessageAt: ts, rooms: ['lobby'] });
      expect(users).to.deep.include({ name: 'bob', lastMessageAt: null, rooms: [] });
      bob.close();
      await disconnected(world, 'bob');
      const all = await ada.allUsers();
      expect(all.users.find((u) => u.name === 'bob')).to.include({ online: false });
      expect(all.users.find((u) => u.name === 'ada')).to.include({ online: true, lastMessageAt: ts });
      const me = await ada.whoami();
      const [adaIdentity] = await sharedIdentities(); // the world gives its first name the first identity
      expect(me).to.include({ name: 'ada', fingerprint: adaIdentity!.fingerprint });
      expect(me.rooms).to.deep.equal(['lobby']);
    });
  });

  describe('stopping', () => {
    it('tells clients SERVER_SHUTDOWN and commits what it acknowledged', async () => {
      const dataDir = tempDir('world');
      world = await startWorld({ dataDir });
      const ada = await world.login('ada');
      await ada.join('lobby');
      const { id } = await ada.say('lobby', 'last words');
      const closed = new Promise<string>((resolve) => ada.once('closed', ({ reason }) => resolve(reason.code)));
      await world.server.stop();
      expect(await closed).to.equal('SERVER_SHUTDOWN');
      const again = await ParlorServer.start({ host: '127.0.0.1', port: 0, dataDir, password: PASSWORD });
      try {
        expect(again.chat).to.exist;
        const store = (again as unknown as { store: { roomHistory(r: string, q: object): Array<{ id: number }> } }).store;
        expect(store.roomHistory('lobby', { limit: 5 }).map((m) => m.id)).to.deep.equal([id]);
      } finally {
        await again.stop();
      }
    });
  });
});

describe('server/chat: rate limits through the library', () => {
  it('rejects with RATE_LIMITED and says how long to wait (retryAfterMs)', async () => {
    const world = await startWorld({ ratePerSecond: 1, rateBurst: 3 });
    try {
      const ada = await world.login('ada');
      const outcomes = await Promise.allSettled([1, 2, 3, 4].map(() => ada.listRooms()));
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult | undefined;
      expect(refused, 'one of four requests over a burst of 3 (login took one)').to.exist;
      expect(refused!.reason).to.include({ code: 'RATE_LIMITED' });
      expect(refused!.reason.retryAfterMs).to.be.a('number').and.greaterThan(0);
    } finally {
      await world.stop();
    }
  });
});

describe('server/chat: a client that leaves in the middle of a request', () => {
  it('creating a password room and disconnecting during the hash is no internal error', async () => {
    const world = await startWorld();
    try {
      const ada = await world.login('ada');
      const pending = ada.create('vault', 'slow to hash').catch(() => undefined);
      ada.close();
      await pending;
      // Room passwords are hashed one at a time, in order: once bob's is done, ada's was too.
      const bob = await world.login('bob');
      await bob.create('after-vault', 'hashed after ada\'s');
      expect(world.events.filter((e) => e.event === 'error')).to.deep.equal([]);
      expect((await bob.listRooms()).rooms.map((r) => r.name)).not.to.include('vault');
    } finally {
      await world.stop();
    }
  });
});
