// The bot end to end through a real server and real clients: a command's reply reaches its caller
// alone, and the actions (moderation, !exit, !quit) do what they say on real connections.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import type { AnnouncementMessage, LeftMessage } from '../../src/protocol/messages.ts';
import type { CloseInfo } from '../../src/transport/secure-connection.ts';
import { collect, expectCode, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const OPERATOR = 'the operator password';

function closedWith(client: ChatClient): Promise<CloseInfo> {
  return new Promise((resolve) => client.once('closed', resolve));
}

describe('server/bot', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it('answers !echo to the caller only: others in the room see neither the command nor the reply', async () => {
    world = await startWorld({ operatorPassword: OPERATOR });
    const ada = await world.login('Ada');
    const bob = await world.login('Bob');
    await ada.join('lobby');
    await bob.join('lobby');
    const seenByBob = collect(bob);
    const announcements: AnnouncementMessage[] = [];
    bob.on('announcement', (a) => announcements.push(a));
    expect(await ada.command('!echo hi there', 'lobby')).to.deep.equal({ command: 'echo', reply: { kind: 'text', text: 'hi there' } });
    await settle(ada);
    await settle(bob);
    expect(seenByBob).to.deep.equal([]);
    expect(announcements).to.deep.equal([]);
    // Nor is it in the room's history.
    expect((await bob.history({ room: 'lobby' })).messages).to.deep.equal([]);
  });

  it('refuses a command-looking line sent as chat, so it is never relayed, and drops a `!!` escape once: the server from plaintext, the client before sealing', async () => {
    world = await startWorld();
    const ada = await world.login('Ada');
    const bob = await world.login('Bob');
    await ada.join('lobby');
    await bob.join('lobby');
    const seenByBob = collect(bob);
    // The server refuses it in plaintext; the client library refuses before sealing one (which
    // the server could not read), and a raw request is refused by the server.
    await expectCode(ada.say('lobby', '!echo secret'), 'BAD_REQUEST');
    await expectCode(ada.dm('Bob', '!shell cat /etc/passwd'), 'BAD_REQUEST');
    await expectCode(ada.request('say', { room: 'lobby', text: '!echo raw' }), 'BAD_REQUEST');
    await expectCode(ada.request('dm', { to: 'Bob', text: '!echo raw' }), 'BAD_REQUEST');
    // The text stored, relayed and shown is the one meant.
    await ada.say('lobby', '!!echo is a bot command');
    await ada.request('dm', { to: 'Bob', text: '!!!x raw', nonce: 'plaintext-escape-1' });
    await ada.dm('Bob', '!!sealed to you');
    await ada.say('lobby', '!! stays as written');
    await settle(ada);
    await settle(bob);
    expect(seenByBob.map((m) => [m.text, m.sealed !== undefined])).to.deep.equal([
      ['!echo is a bot command', false],
      ['!!x raw', false],
      ['!sealed to you', true],
      ['!! stays as written', false],
    ]);
    expect((await bob.history({ room: 'lobby' })).messages.map((m) => m.text)).to.deep.equal(['!echo is a bot command', '!! stays as written']);
  });

  it('gives coded errors for unknown, disabled and operator-only commands', async () => {
    world = await startWorld({ disabledCommands: ['meow'] });
    const ada = await world.login('Ada');
    await expectCode(ada.command('!nosuch'), 'UNKNOWN_COMMAND');
    await expectCode(ada.command('!meow'), 'COMMAND_DISABLED');
    await expectCode(ada.command('!kick Bob'), 'NOT_OPERATOR');
    const help = await ada.command('!help');
    expect(help.reply.kind).to.equal('text');
    expect((help.reply as { text: string }).text).to.include('!echo').and.not.include('!meow').and.not.include('!kick');
  });

  it('sends a !meow picture as an image reply', async () => {
    world = await startWorld();
    const ada = await world.login('Ada');
    const { reply } = await ada.command('!meow');
    expect(reply.kind).to.equal('image');
    const image = reply as { mime: string; data: string; width?: number };
    expect(['image/png', 'image/jpeg']).to.include(image.mime);
    expect(Buffer.from(image.data, 'base64').length).to.be.greaterThan(1000);
    expect(image.width).to.be.at.most(512);
  });

  it('/op elevates a session with the operator password; a wrong one is BAD_PASSWORD and slowed down', async () => {
    world = await startWorld({ operatorPassword: OPERATOR });
    const ada = await world.login('Ada');
    const bob = await world.login('Bob');
    expect(await bob.op(OPERATOR)).to.deep.equal({ operator: true });
    for (let i = 0; i < 5; i++) await expectCode(ada.op('guess'), 'BAD_PASSWORD');
    // The sixth try waits, even with the right password: the slow-down is per address and name,
    // shared with the join password's.
    const slowed = await expectCode(ada.op(OPERATOR), 'RATE_LIMITED');
    expect(slowed.retryAfterMs).to.be.greaterThan(0);
    await expectCode(ada.command('!announce hi'), 'NOT_OPERATOR');
    expect((await bob.command('!announce hi')).reply.kind).to.equal('text');
  });

  it('!announce reaches everyone online, in any room', async () => {
    world = await startWorld({ operatorPassword: OPERATOR });
    const op = await world.login('Op');
    const ada = await world.login('Ada');
    const bob = await world.login('Bob');
    await bob.create('elsewhere');
    await op.op(OPERATOR);
    const got: AnnouncementMessage[] = [];
    ada.on('announcement', (a) => got.push(a));
    bob.on('announcement', (a) => got.push(a));
    expect(await op.command('!announce pizza in the kitchen')).to.deep.equal({ command: 'announce', reply: { kind: 'text', text: 'announced to 3 people' } });
    await settle(ada);
    await settle(bob);
    expect(got.map((a) => [a.from, a.text])).to.deep.equal([
      ['Op', 'pizza in the kitchen'],
      ['Op', 'pizza in the kitchen'],
    ]);
  });

  it('!kick disconnects a user for good (no reconnect) with KICKED; they and the room are told who and why; they may log in again', async () => {
    world = await startWorld({ operatorPassword: OPERATOR });
    const op = await world.login('Op');
    await op.op(OPERATOR);
    const cy = await world.login('Cy');
    await cy.join('lobby');
    const bob = await world.login('Bob');
    await bob.join('lobby');
    const bobToo = await world.login('Bob');
    await bobToo.join('lobby');
    const left: LeftMessage[] = [];
    cy.on('left', (event) => left.push(event));
    const closed = [closedWith(bob), closedWith(bobToo)];
    await op.command('!kick bob flooding');
    for (const info of await Promise.all(closed)) {
      expect(info.reason.code).to.equal('KICKED');
      expect(info.reason.message).to.equal('Bob was kicked by Op: flooding');
    }
    await settle(cy);
    // Once, for the person: both of Bob's sessions went, the room heard of it once.
    expect(left).to.deep.equal([{ type: 'left', room: 'lobby', name: 'Bob', reason: 'disconnected', moderation: { action: 'kicked', by: 'Op', reason: 'flooding' } }]);
    await expectCode(op.command('!kick nobody'), 'USER_NOT_FOUND');
    await world.login('Bob');
  });

  it('!ban is by identity key, persisted across a restart, and !unban lifts it', async () => {
    const dataDir = tempDir('bans');
    world = await startWorld({ operatorPassword: OPERATOR, dataDir });
    const [opKey, bobKey] = (await sharedIdentities()).slice(0, 2);
    const op = await world.login('Op', { identity: opKey! });
    await op.op(OPERATOR);
    const bob = await world.login('Bob', { identity: bobKey! });
    const closed = closedWith(bob);
    const banned = await op.command('!ban Bob spam');
    expect((banned.reply as { text: string }).text).to.match(/^Bob is banned \(key SHA256:/);
    expect((await closed).reason).to.include({ code: 'BANNED', message: 'Bob was banned by Op: spam' });
    // The same key under another name is still banned: the ban is on the key, not the name.
    const refused = await expectCode(world.login('Robert', { identity: bobKey! }), 'BANNED');
    expect(refused.message).to.contain('banned from the server by Op: spam');
    await world.stop();

    world = await startWorld({ operatorPassword: OPERATOR, dataDir });
    const op2 = await world.login('Op', { identity: opKey! });
    await expectCode(world.login('Bob', { identity: bobKey! }), 'BANNED');
    await op2.op(OPERATOR);
    await expectCode(op2.command('!unban Nobody'), 'USER_NOT_FOUND');
    expect((await op2.command('!unban bob')).reply).to.deep.include({ kind: 'text' });
    await world.login('Bob', { identity: bobKey! });
  });

  it('!release frees a reserved name: another key takes it at once and is told once; the release is logged', async () => {
    world = await startWorld({ operatorPassword: OPERATOR, dataDir: tempDir('release') });
    const [opKey, oldKey, newKey] = await sharedIdentities();
    const op = await world.login('Op', { identity: opKey! });
    await op.op(OPERATOR);
    const old = await world.login('Ada', { identity: oldKey! });
    await expectCode(op.command('!release ada'), 'NAME_TAKEN');
    old.close();
    await expectCode(world.login('ada', { identity: newKey! }), 'NAME_RESERVED');
    const released = await op.command('!release ada');
    expect((released.reply as { text: string }).text).to.equal(`Ada is released from key ${oldKey!.fingerprint}: the next key to log in with it takes it`);
    expect(world.events).to.deep.include({ event: 'name_released', name: 'Ada', fingerprint: oldKey!.fingerprint, by: 'Op' });
    await expectCode(op.command('!release nobody'), 'USER_NOT_FOUND');

    const moved = await world.login('ada', { identity: newKey! });
    expect(moved.released).to.include({ by: 'Op' });
    moved.close();
    // Told once; and the name is now bound to the new key.
    expect((await world.login('ada', { identity: newKey! })).released).to.equal(undefined);
    await expectCode(world.login('ada', { identity: oldKey! }), 'NAME_TAKEN');
  });

  it('!exit disconnects the caller, who does not reconnect', async () => {
    world = await startWorld();
    const ada = await world.login('Ada');
    const closed = closedWith(ada);
    expect(await ada.command('!exit')).to.deep.equal({ command: 'exit', reply: { kind: 'text', text: 'bye' } });
    expect((await closed).reason.code).to.equal('CONNECTION_CLOSED');
    expect(ada.connected).to.equal(false);
  });

  it('!quit with a wrong password is BAD_PASSWORD; with the right one everyone is told and the server stops', async () => {
    world = await startWorld({ operatorPassword: OPERATOR });
    const ada = await world.login('Ada');
    const bob = await world.login('Bob');
    await ada.join('lobby');
    await ada.say('lobby', 'kept');
    await expectCode(ada.command('!quit nope'), 'BAD_PASSWORD');
    const bobClosed = closedWith(bob);
    expect((await ada.command(`!quit ${OPERATOR}`)).reply).to.deep.equal({ kind: 'text', text: 'the server is stopping' });
    const info = await bobClosed;
    expect(info.reason.code).to.equal('SERVER_SHUTDOWN');
    expect(info.reason.message).to.equal('Ada stopped the server');
    for (let waited = 0; !world.events.some((e) => e.event === 'stopped') && waited < 100; waited++) await new Promise((r) => setTimeout(r, 50));
    expect(world.events.map((e) => e.event)).to.include('stopped');
  });
});
