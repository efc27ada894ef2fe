// One person, several sessions (issue 16): one identity key logged in from a UI, a `tail` and a
// `send` at once. Each session gets what its person should, presence counts the person once, the
// cap refuses one session too many, and --replace and a reconnect's resume replace sessions.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { ParlorClient } from '../../src/client/client.ts';
import type { JoinedMessage, LeftMessage } from '../../src/protocol/messages.ts';
import type { TransferEvent } from '../../src/protocol/transfer-messages.ts';
import { collect, expectCode, nextMessages, PASSWORD, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Every joined and left notice a client gets from now on, as "joined ada #lobby" lines. */
function presence(client: ChatClient): string[] {
  const seen: string[] = [];
  client.on('joined', (event: JoinedMessage) => seen.push(`joined ${event.name} #${event.room}`));
  client.on('left', (event: LeftMessage) => seen.push(`left ${event.name} #${event.room}`));
  return seen;
}

/** How many sessions of this name the server has reported gone. */
function disconnects(world: World, name: string): number {
  return world.events.filter((event) => event.event === 'disconnect' && event.name === name).length;
}

function transferEvents(client: ChatClient): TransferEvent[] {
  const seen: TransferEvent[] = [];
  client.on('transferEvent', (event) => seen.push(event));
  return seen;
}

describe('server/sessions: one identity, several sessions', () => {
  let world: World;
  afterEach(async () => world?.stop());

  it("each session gets its rooms' messages, its person's DMs, and her own messages from her other sessions", async () => {
    world = await startWorld();
    const ui = await world.login('ada');
    const script = await world.login('ada');
    const bob = await world.login('bob');
    for (const client of [ui, script, bob]) await client.join('lobby');
    await ui.create('quiet');
    const atUi = collect(ui);
    const atScript = collect(script);
    const atBob = collect(bob);

    await bob.say('lobby', 'hello ada');
    await script.say('lobby', 'from the script');
    await ui.say('quiet', 'only the ui is here');
    await bob.dm('ada', 'psst');
    await script.dm('bob', 'sent from the script');
    for (const client of [ui, script, bob]) await settle(client);

    const texts = (got: typeof atUi) => got.map((m) => `${m.room !== undefined ? `#${m.room}` : `→${m.to}`} ${m.from}: ${m.text}`);
    expect(texts(atUi)).to.deep.equal(['#lobby bob: hello ada', '#lobby ada: from the script', '→ada bob: psst', '→bob ada: sent from the script']);
    // The script is not in #quiet: it does not get that room's messages, even its own person's.
    expect(texts(atScript)).to.deep.equal(['#lobby bob: hello ada', '→ada bob: psst']);
    expect(texts(atBob)).to.deep.equal(['#lobby ada: from the script', '→bob ada: sent from the script']);
  });

  it('presence counts the person once: joined for her first session in a room, left for her last; online while any is', async () => {
    world = await startWorld();
    const bob = await world.login('bob');
    await bob.join('lobby');
    const notices = presence(bob);
    const first = await world.login('ada');
    await first.join('lobby');
    const second = await world.login('ada');
    const joined = await second.join('lobby');
    expect(joined.members).to.deep.equal(['bob', 'ada']);
    await settle(bob);
    expect(notices).to.deep.equal(['joined ada #lobby']);

    expect((await bob.members('lobby')).members.map((m) => m.name)).to.deep.equal(['bob', 'ada']);
    expect((await bob.users()).users.map((u) => u.name).sort()).to.deep.equal(['ada', 'bob']);
    expect((await bob.listRooms()).rooms.find((r) => r.name === 'lobby')).to.include({ members: 2 });
    expect(world.server.chat.onlineCount).to.equal(2);

    first.close();
    await waitUntil(() => disconnects(world, 'ada') === 1, 'the server to see the first session go');
    await settle(bob);
    expect(notices).to.deep.equal(['joined ada #lobby']);
    expect((await bob.allUsers()).users.find((u) => u.name === 'ada')).to.include({ online: true });
    expect((await bob.whois('ada')).online).to.equal(true);

    await second.leave('lobby');
    await settle(bob);
    expect(notices).to.deep.equal(['joined ada #lobby', 'left ada #lobby']);
    second.close();
    await waitUntil(() => disconnects(world, 'ada') === 2, 'the server to see the second session go');
    expect((await bob.allUsers()).users.find((u) => u.name === 'ada')).to.include({ online: false });
    expect(world.server.chat.onlineCount).to.equal(1);
  });

  it('refuses a session over the per-identity cap with TOO_MANY_SESSIONS; --replace closes the others instead', async () => {
    world = await startWorld({ maxSessionsPerIdentity: 2 });
    const one = await world.login('ada');
    const two = await world.login('ada');
    const refused = await expectCode(world.login('ada'), 'TOO_MANY_SESSIONS');
    expect(refused.message).to.contain('--replace');
    // The cap is per identity: another person logs in as ever.
    await world.login('bob');

    const closed = [one, two].map((client) => new Promise<string>((resolve) => client.once('closed', ({ reason }) => resolve(reason.code))));
    const replacing = await world.login('ada', { replace: true });
    expect(await Promise.all(closed)).to.deep.equal(['SESSION_REPLACED', 'SESSION_REPLACED']);
    expect((await replacing.whoami()).name).to.equal('ada');
    // Room for one more again.
    await world.login('ada');
  });

  it("a reconnect's login names its old session (resume): that one is replaced, the person's others stay", async () => {
    world = await startWorld();
    const [identity] = await sharedIdentities();
    const connect = () => ParlorClient.connect({ host: '127.0.0.1', port: world.server.address.port, identity: identity!, configDir: tempDir('resume'), fingerprint: world.server.fingerprint });
    const other = await world.login('ada', { identity: identity! });
    const old = await connect();
    const login = (await old.request('login', { name: 'ada', password: PASSWORD })) as { session: string };
    expect(login.session).to.match(/^[A-Za-z0-9_-]{16,32}$/);
    const fresh = await connect();
    await fresh.request('login', { name: 'ada', password: PASSWORD, resume: login.session });
    expect((await old.closedPromise()).reason.code).to.equal('SESSION_REPLACED');
    expect((await other.whoami()).name).to.equal('ada');
    expect(other.connected).to.equal(true);
    fresh.close();
  });

  it('offers a file to every session of its recipient: the first to accept takes it, the others are told, the sender hears once', async () => {
    world = await startWorld();
    const bob = await world.login('bob');
    const ui = await world.login('ada');
    const tail = await world.login('ada');
    const atBob = transferEvents(bob);
    const atUi = transferEvents(ui);
    const atTail = transferEvents(tail);
    const offer = await bob.request('file_offer', { to: 'ada', name: 'notes.txt', size: 5, sha256: 'a'.repeat(64) });
    expect(offer.recipients).to.deep.equal(['ada']);
    await settle(ui);
    await settle(tail);
    expect(atUi.map((e) => e.type)).to.deep.equal(['file_offered']);
    expect(atTail.map((e) => e.type)).to.deep.equal(['file_offered']);

    await tail.request('file_accept', { transfer: offer.transfer });
    await settle(ui);
    await settle(bob);
    expect(atUi.map((e) => e.type)).to.deep.equal(['file_offered', 'file_cancelled']);
    expect(atUi[1]).to.include({ code: 'TRANSFER_CANCELLED', message: 'you took this file in another session' });
    await expectCode(ui.request('file_accept', { transfer: offer.transfer }), 'TRANSFER_NOT_FOUND');
    expect(atBob.filter((e) => e.type === 'file_status').map((e) => (e as { status: string }).status)).to.deep.equal(['accepted']);
  });

  it("a decline counts when the person's last session declines; the sender hears it once", async () => {
    world = await startWorld();
    const bob = await world.login('bob');
    const ui = await world.login('ada');
    const tail = await world.login('ada');
    const atBob = transferEvents(bob);
    const offer = await bob.request('file_offer', { to: 'ada', name: 'big.iso', size: 5, sha256: 'b'.repeat(64) });
    await settle(tail);
    await tail.request('file_decline', { transfer: offer.transfer });
    await settle(bob);
    expect(atBob.filter((e) => e.type === 'file_status')).to.deep.equal([]);
    await ui.request('file_decline', { transfer: offer.transfer });
    await settle(bob);
    expect(atBob.filter((e) => e.type === 'file_status').map((e) => (e as { status: string; name: string }).status)).to.deep.equal(['declined']);
  });

  it('a room message reaches every session of each member, and a file offer in a room skips the sender\'s own sessions', async () => {
    world = await startWorld();
    const ada = await world.login('ada');
    const adaToo = await world.login('ada');
    const bob = await world.login('bob');
    for (const client of [ada, adaToo, bob]) await client.join('lobby');
    const atAdaToo = transferEvents(adaToo);
    const atBob = transferEvents(bob);
    const offer = await ada.request('file_offer', { room: 'lobby', name: 'pic.png', size: 5, sha256: 'c'.repeat(64) });
    expect(offer.recipients).to.deep.equal(['bob']);
    await settle(adaToo);
    await settle(bob);
    expect(atAdaToo).to.deep.equal([]);
    expect(atBob.map((e) => e.type)).to.deep.equal(['file_offered']);
    const got = nextMessages(adaToo);
    await bob.say('lobby', 'both of you');
    expect((await got).map((m) => m.text)).to.deep.equal(['both of you']);
  });
});
