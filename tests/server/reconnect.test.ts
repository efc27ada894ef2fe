// A ChatClient across a server restart at the same address: it reconnects by itself, logs in
// again, rejoins and catches up, so that what was said while it was away (and while it was coming
// back) arrives once each, and what it had already seen does not come again. A restart that
// brings a different server key at that address is not followed: the reconnect is pinned.

import { expect } from 'chai';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { ChatClient } from '../../src/client/chat-client.ts';
import type { ParlorError } from '../../src/protocol/errors.ts';
import type { ChatMessage } from '../../src/protocol/messages.ts';
import { connectChat, JOIN_PASSWORD, nextEvent, sleep, startServerOnPort, waitUntil } from '../helpers/chat-clients.ts';
import { collect } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startBurstRelay, startCuttingRelay, type Relay } from '../helpers/chat-relay.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { KnownServers } from '../../src/client/known-servers.ts';
import { formatAddress } from '../../src/options.ts';

const RECONNECT = { reconnect: true, reconnectDelayMs: 100, maxReconnectDelayMs: 400 };

interface Sent {
  id: number;
  text: string;
  /** 'lobby' or 'direct': the conversation the message belongs to. */
  conversation: 'lobby' | 'direct';
}

/** The conversation a received message belongs to: its room, or 'direct'. */
const conversationOf = (message: ChatMessage): 'lobby' | 'direct' | string => (message.room === undefined ? 'direct' : message.room);

/** Which sent messages a client has not received, and what it got instead around them. */
function describeMissing(sent: Sent[], seen: ChatMessage[]): string {
  const missing = sent.filter((s) => !seen.some((m) => m.id === s.id));
  const lobby = missing.filter((s) => s.conversation === 'lobby').map((s) => s.id);
  const direct = missing.filter((s) => s.conversation === 'direct').map((s) => s.id);
  return `${missing.length} of ${sent.length} never arrived: lobby ids ${JSON.stringify(lobby)}, direct ids ${JSON.stringify(direct)}; received ids ${JSON.stringify(seen.map((m) => m.id))}`;
}

/** The messages a client received are exactly the ones sent, each once, each conversation in id order. */
function expectExactly(received: ChatMessage[], sent: Sent[]): void {
  const ids = received.map((m) => m.id);
  expect(ids.filter((id, i) => ids.indexOf(id) !== i), 'delivered twice').to.deep.equal([]);
  expect(describeMissing(sent, received), 'lost').to.match(/^0 of /);
  expect([...ids].sort((x, y) => x - y), 'exactly what was sent').to.deep.equal(sent.map((s) => s.id).sort((x, y) => x - y));
  for (const message of received) {
    const original = sent.find((s) => s.id === message.id)!;
    expect({ id: message.id, text: message.text, from: message.from, conversation: conversationOf(message) }).to.deep.equal({
      id: original.id,
      text: original.text,
      from: 'bob',
      conversation: original.conversation,
    });
  }
  // Each conversation arrives in id order (catching up fetches direct messages, then rooms).
  for (const conversation of ['lobby', 'direct']) {
    const inOrder = received.filter((m) => conversationOf(m) === conversation).map((m) => m.id);
    expect(inOrder, `${conversation} in id order`).to.deep.equal([...inOrder].sort((x, y) => x - y));
  }
}

describe('server/reconnect: a client across a server restart', function () {
  this.timeout(30_000);
  const relays: Relay[] = [];
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`reconnect after a server restart (${signal}) resumes without losing messages`, async () => {
      const [adaId, bobId] = await sharedIdentities();
      const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD, '--rate', '100000', '--burst', '100000'];
      const first = await startServerProcess(args);

      const ada = await connectChat(first, adaId!, 'ada', RECONNECT);
      const seen = collect(ada);
      const disconnects: string[] = [];
      ada.on('disconnected', ({ reason }) => disconnects.push(reason.code));
      await ada.join('lobby');

      // Before the restart: messages ada sees live, and one of her own.
      let bob: ChatClient = await connectChat(first, bobId!, 'bob');
      await bob.join('lobby');
      const before: number[] = [];
      for (let i = 0; i < 3; i++) before.push((await bob.say('lobby', `before ${i}`)).id);
      before.push((await bob.dm('ada', 'before, directly')).id);
      const own = (await ada.say('lobby', 'ada was here')).id;
      await waitUntil(() => before.every((id) => seen.some((m) => m.id === id)), 'the messages from before the restart', 10_000);
      const seenBefore = seen.length;
      expect(seen.map((m) => m.id)).to.deep.equal(before);
      bob.close();

      let back = false;
      const reconnected = nextEvent(ada, 'reconnected', 25_000).then(() => (back = true));
      expect(await first.stop(signal), 'exit code').to.equal(signal === 'SIGTERM' ? 0 : null);
      const second = await startServerOnPort(args, first.port);
      expect(second.fingerprint).to.equal(first.fingerprint);

      // Bob comes back and talks, in the room and to ada directly, while ada is still away, while
      // she is coming back, and after she is back.
      bob = await connectChat(second, bobId!, 'bob');
      await bob.join('lobby');
      const sent: Sent[] = [];
      let sentAfterBack = 0;
      for (let i = 0; i < 500 && sentAfterBack < 12; i++) {
        if (back) sentAfterBack++;
        if (i % 4 === 3) {
          const text = `after ${i}, directly`;
          sent.push({ id: (await bob.dm('ada', text)).id, text, conversation: 'direct' });
        } else {
          const text = `after ${i}`;
          sent.push({ id: (await bob.say('lobby', text)).id, text, conversation: 'lobby' });
        }
        await sleep(10); // pacing: the sends span ada's whole way back
      }
      await reconnected;
      expect(sentAfterBack, 'messages bob sent once ada was back').to.be.greaterThan(0);

      await waitUntil(() => sent.every((s) => seen.some((m) => m.id === s.id)), 'every message bob sent after the restart, at ada', 10_000, () =>
        describeMissing(sent, seen),
      );
      await ada.whoami(); // one more round trip: a duplicate on its way would be here by now

      const after = seen.slice(seenBefore);
      expect(after.map((m) => m.id).filter((id) => before.includes(id) || id === own), 'seen before the restart, delivered again').to.deep.equal([]);
      expectExactly(after, sent);
      expect(disconnects, 'why ada was disconnected').to.deep.equal([signal === 'SIGTERM' ? 'SERVER_SHUTDOWN' : 'CONNECTION_CLOSED']);
      expect(ada.connected).to.equal(true);
      console.log(`      ${sent.length} messages after the restart (${sentAfterBack} once ada was back), each delivered once`);
      ada.close();
      bob.close();
    });
  }

  it('catches up in full when more than a page of messages was said while it was away', async () => {
    const [adaId, bobId] = await sharedIdentities();
    const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD, '--rate', '100000', '--burst', '100000'];
    const first = await startServerProcess(args);
    const ada = await connectChat(first, adaId!, 'ada', RECONNECT);
    const seen = collect(ada);
    await ada.join('lobby');
    const seenBefore = seen.length;
    const reconnected = nextEvent(ada, 'reconnected', 25_000);
    await first.stop('SIGTERM');

    // While ada cannot reach it (it runs at another port for a while), the server takes more than
    // a page (the default --history is 50) of room messages and of direct messages to her.
    const elsewhere = await startServerProcess(args);
    const bob = await connectChat(elsewhere, bobId!, 'bob');
    await bob.join('lobby');
    const sent: Sent[] = [];
    for (let i = 0; i < 70; i++) {
      sent.push({ id: (await bob.say('lobby', `while away ${i}`)).id, text: `while away ${i}`, conversation: 'lobby' });
      sent.push({ id: (await bob.dm('ada', `while away ${i}, directly`)).id, text: `while away ${i}, directly`, conversation: 'direct' });
    }
    bob.close();
    await elsewhere.stop('SIGTERM');

    await startServerOnPort(args, first.port);
    await reconnected;
    await waitUntil(() => sent.every((s) => seen.some((m) => m.id === s.id)), 'every message from the outage, at ada', 5_000, () => describeMissing(sent, seen));
    await ada.whoami();
    expectExactly(seen.slice(seenBefore), sent);
    ada.close();
  });

  it('loses and skips nothing that arrives in the same read as the replies to its login and join (bursty network)', async () => {
    const [adaId, bobId] = await sharedIdentities();
    // One page holds everything this test has said while ada is away: paging is the test above's.
    const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD, '--rate', '100000', '--burst', '100000', '--history', '500'];
    const first = await startServerProcess(args);
    // ada reaches the server through a relay that delivers the server's bytes in 50 ms bursts.
    const relay = await startBurstRelay(first.port, 50);
    relays.push(relay);
    const ada = await connectChat({ host: '127.0.0.1', port: relay.port }, adaId!, 'ada', RECONNECT);
    const seen = collect(ada);
    await ada.join('lobby');
    let back = false;
    const reconnected = nextEvent(ada, 'reconnected', 25_000).then(() => (back = true));
    await first.stop('SIGKILL');
    const second = await startServerOnPort(args, first.port);

    // bob keeps talking (a message every few ms, so every burst that carries the reply to ada's
    // login or join carries live messages too) until well after ada is back. Before she is back he
    // says at most PAGE_BEFORE_BACK, so that what she missed fits in one page.
    const bob = await connectChat(second, bobId!, 'bob');
    await bob.join('lobby');
    const PAGE_BEFORE_BACK = 450;
    const sent: Sent[] = [];
    let sentBeforeBack = 0;
    let sentAfterBack = 0;
    let next = 0;
    const deadline = Date.now() + 15_000;
    const lane = async () => {
      for (let round = 0; round < 5000 && sentAfterBack < 150 && Date.now() < deadline; round++) {
        if (!back && sentBeforeBack >= PAGE_BEFORE_BACK) {
          await reconnected;
          continue;
        }
        if (back) sentAfterBack++;
        else sentBeforeBack++;
        const i = next++;
        if (i % 4 === 3) {
          const text = `burst ${i}, directly`;
          sent.push({ id: (await bob.dm('ada', text)).id, text, conversation: 'direct' });
        } else {
          const text = `burst ${i}`;
          sent.push({ id: (await bob.say('lobby', text)).id, text, conversation: 'lobby' });
        }
        await sleep(back ? 2 : 6); // pacing: live messages in every burst around ada's login
      }
    };
    await Promise.all([lane(), lane()]);
    await reconnected;
    expect(sentAfterBack, 'messages bob sent once ada was back').to.be.at.least(150);
    await waitUntil(() => sent.every((s) => seen.some((m) => m.id === s.id)), 'every message bob sent, at ada', 5_000, () => describeMissing(sent, seen));
    await ada.whoami();
    expectExactly(seen, sent);
    console.log(`      ${sent.length} messages (${sentBeforeBack} before ada was back) through ${relay.accepted} relayed connections, each delivered once`);
    ada.close();
    bob.close();
  });

  it('does not reconnect to a server that now presents a different key at the address: closed with FINGERPRINT_MISMATCH', async () => {
    const [adaId] = await sharedIdentities();
    const first = await startServerProcess(['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD]);
    const ada = await connectChat(first, adaId!, 'ada', RECONNECT);
    await ada.join('lobby');
    let reconnectedEvents = 0;
    let attempts = 0;
    ada.on('reconnected', () => reconnectedEvents++);
    ada.on('reconnecting', () => attempts++);
    const closed = nextEvent(ada, 'closed', 25_000);

    await first.stop('SIGTERM');
    const impostor = await startServerOnPort(['--data', tempDir('impostor'), '--password', JOIN_PASSWORD], first.port);
    expect(impostor.fingerprint).not.to.equal(first.fingerprint);

    const [info] = await closed;
    expect(info.reason.code, info.reason.message).to.equal('FINGERPRINT_MISMATCH');
    expect(info.reason.message).to.include(impostor.fingerprint).and.include(first.fingerprint);
    expect(reconnectedEvents).to.equal(0);
    expect(attempts).to.be.at.least(1);
    expect(ada.connected).to.equal(false);
    // Nothing got past the handshake at the impostor, so nothing (no login, no password) was sent.
    expect(impostor.events.filter((e) => e.event === 'session' || e.event === 'login')).to.deep.equal([]);
    // And the client stays closed: requests fail with the same reason instead of going anywhere.
    let refusal: unknown;
    try {
      await ada.whoami();
    } catch (error) {
      refusal = error;
    }
    expect(refusal).to.have.property('code', 'FINGERPRINT_MISMATCH');
  });

  it('rejoins every room it was in (sent together) and catches up in each, every message once', async () => {
    const [adaId, bobId] = await sharedIdentities();
    const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD, '--rate', '100000', '--burst', '100000'];
    const first = await startServerProcess(args);
    // A longer first wait: bob speaks in every room while ada is (most likely) still away.
    const ada = await connectChat(first, adaId!, 'ada', { ...RECONNECT, reconnectDelayMs: 1000, maxReconnectDelayMs: 1000 });
    const rooms = ['one', 'two', 'three'];
    for (const room of rooms) await ada.create(room);
    const seen = collect(ada);
    const back = nextEvent(ada, 'reconnected', 20_000);
    await first.stop('SIGTERM');
    const second = await startServerOnPort(args, first.port);
    const bob = await connectChat(second, bobId!, 'bob');
    const said: number[] = [];
    for (const room of rooms) {
      await bob.join(room);
      said.push((await bob.say(room, `while away, in ${room}`)).id);
    }
    await back;
    for (const room of rooms) expect((await bob.members(room)).members.map((m) => m.name), room).to.include('ada');
    await waitUntil(() => seen.length >= said.length, 'every message delivered', 10_000, () => JSON.stringify(seen.map((m) => m.id)));
    expect(seen.map((m) => [m.room, m.text])).to.have.deep.members(rooms.map((room) => [room, `while away, in ${room}`]));
    expect(seen.map((m) => m.id).sort((a, b) => a - b)).to.deep.equal(said);
    ada.close();
    bob.close();
  });

  it('a reconnect to the same address leaves known_servers as it is: a key the user forgot meanwhile stays forgotten', async () => {
    const [adaId] = await sharedIdentities();
    const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD];
    const first = await startServerProcess(args);
    const configDir = tempDir('reconnect-config');
    const ada = await connectChat(first, adaId!, 'ada', { ...RECONNECT, configDir });
    await ada.join('lobby');
    const knownServers = new KnownServers(configDir);
    const address = formatAddress(first.host, first.port);
    expect(knownServers.check(address, first.fingerprint)).to.deep.equal({ state: 'known' });
    // `parlor ping --forget` while the client runs.
    expect(knownServers.forget(address)).to.have.length(1);

    const back = nextEvent(ada, 'reconnected', 20_000);
    await first.stop('SIGTERM');
    const second = await startServerOnPort(args, first.port);
    await back;
    expect(ada.connected).to.equal(true);
    // Back, pinned to the key it had (the same server's), without writing that key down again.
    expect(second.fingerprint).to.equal(first.fingerprint);
    expect(knownServers.check(address, second.fingerprint)).to.deep.equal({ state: 'new' });
    ada.close();
  });

  it('sends what is said while it is reconnecting once it is back, in order; gives up with TIMEOUT if it does not come back', async () => {
    const [adaId, bobId] = await sharedIdentities();
    const args = ['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD];
    const first = await startServerProcess(args);
    // The wait for the connection is bounded by the request timeout: long enough here for a new
    // server process to start on a busy machine.
    const ada = await connectChat(first, adaId!, 'ada', { ...RECONNECT, requestTimeoutMs: 30_000 });
    await ada.join('lobby');
    let disconnected = nextEvent(ada, 'disconnected', 10_000);
    await first.stop('SIGTERM');
    await disconnected;
    expect(ada.connected).to.equal(false);
    const saying = [ada.say('lobby', 'said while away'), ada.say('lobby', 'and then this')];
    const second = await startServerOnPort(args, first.port);
    const [one, two] = await Promise.all(saying);
    expect(two!.id, 'in the order said').to.be.greaterThan(one!.id);
    const page = await ada.history({ room: 'lobby' });
    expect(page.messages.map((m) => m.text)).to.deep.equal(['said while away', 'and then this']);
    ada.close();

    // Gone for longer than a request may wait (bob's: 1 s; the server does not come back): not
    // sent, and said so.
    const bob = await connectChat(second, bobId!, 'bob', { ...RECONNECT, requestTimeoutMs: 1000 });
    await bob.join('lobby');
    disconnected = nextEvent(bob, 'disconnected', 10_000);
    await second.stop('SIGTERM');
    await disconnected;
    const error = await bob.say('lobby', 'into the void').then(
      () => expect.fail('sent with no server'),
      (failure: ParlorError) => failure,
    );
    expect(error.code).to.equal('TIMEOUT');
    expect(error.message).to.contain('not sent');
    bob.close();
  });

  it('sends again a message whose acknowledgement a dropped connection swallowed, and it is stored once', async () => {
    const [adaId, bobId] = await sharedIdentities();
    const server = await startServerProcess(['--data', tempDir('reconnect'), '--password', JOIN_PASSWORD]);
    const relay = await startCuttingRelay(server.port);
    relays.push(relay);
    const ada = await connectChat({ host: '127.0.0.1', port: relay.port }, adaId!, 'ada', RECONNECT);
    const bob = await connectChat(server, bobId!, 'bob');
    await Promise.all([ada.join('lobby'), bob.join('lobby')]);
    const atBob = collect(bob);
    const dropped = nextEvent(ada, 'disconnected', 10_000);
    // The server stores the message and answers, but the answer never reaches ada.
    relay.cutBeforeNextReply();
    const reply = await ada.say('lobby', 'said once, acknowledged late');
    await dropped;
    expect(relay.accepted, 'ada came back through the relay').to.equal(2);
    await bob.whoami();
    expect(atBob.map((m) => m.text), 'delivered to bob').to.deep.equal(['said once, acknowledged late']);
    const history = await bob.history({ room: 'lobby' });
    expect(history.messages.map((m) => ({ id: m.id, text: m.text }))).to.deep.equal([{ id: reply.id, text: 'said once, acknowledged late' }]);

    // A sealed message in a secret room the same way.
    await ada.create('vault', undefined, { secret: true });
    // Sealed to bob's key once ada has seen him join.
    const bobJoined = nextEvent(ada, 'joined', 10_000);
    await bob.join('vault');
    await bobJoined;
    relay.cutBeforeNextReply();
    const sealed = await ada.say('vault', 'sealed, once');
    expect(relay.accepted).to.equal(3);
    const vault = await bob.history({ room: 'vault' });
    expect(vault.messages.map((m) => ({ id: m.id, text: m.text, state: m.e2e?.state }))).to.deep.equal([{ id: sealed.id, text: 'sealed, once', state: 'verified' }]);

    // A request that changes nothing is simply asked again.
    relay.cutBeforeNextReply();
    expect((await ada.whoami()).name).to.equal('ada');
    expect(relay.accepted).to.equal(4);
    ada.close();
    bob.close();
  });

  it('after refusals as busy (TOO_MANY_CONNECTIONS) it keeps trying soon, its waits capped at maxBusyReconnectDelayMs, and gets in once a place frees', async () => {
    const [adaId] = await sharedIdentities();
    const server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated', '1', '--admission-queue', '0', '--handshake-timeout', '30000']);
    const relay = await startCuttingRelay(server.port);
    relays.push(relay);
    const ada = await connectChat({ host: '127.0.0.1', port: relay.port }, adaId!, 'ada', { reconnect: true, reconnectDelayMs: 100, maxReconnectDelayMs: 15_000, maxBusyReconnectDelayMs: 300 });
    // A connection that never logs in holds the server's one place for connections not logged in yet.
    const holder = connect({ host: '127.0.0.1', port: server.port });
    holder.on('error', () => {});
    await new Promise((resolve) => holder.once('connect', resolve));
    const waits: number[] = [];
    ada.on('reconnecting', ({ delayMs }) => waits.push(delayMs));
    relay.cutBeforeNextReply();
    // Its reply is cut: ada reconnects, and asks again once back.
    const asked = ada.whoami();
    await server.waitForCount('refused', 5, 30_000);
    holder.destroy();
    expect((await asked).name).to.equal('ada');
    expect(server.codes('refused')).to.deep.equal({ TOO_MANY_CONNECTIONS: server.count('refused') });
    // Doubled from 100 ms, the fifth wait would be 1.6 s; told "busy", each stays within 300 ms, jittered by up to half.
    expect(waits.length).to.be.at.least(6);
    expect(Math.max(...waits), waits.join(', ')).to.be.at.most(450);
    ada.close();
  });

  it('takes a close during the handshake (a server too busy to say why) as busy too, not as a server that is gone', async () => {
    const [adaId] = await sharedIdentities();
    const server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD]);
    // A door in front of the server: it passes connections through, or closes each one at once, as
    // a server busy telling 64 others TOO_MANY_CONNECTIONS does (admission.ts).
    let closing = false;
    let closed = 0;
    const passed = new Set<Socket>();
    const door = createServer((socket) => {
      socket.on('error', () => {});
      if (closing) {
        closed++;
        socket.destroy();
        return;
      }
      const upstream = connect({ host: '127.0.0.1', port: server.port });
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
      passed.add(socket);
    });
    await new Promise<void>((resolve) => door.listen({ host: '127.0.0.1', port: 0 }, resolve));
    try {
      const ada = await connectChat({ host: '127.0.0.1', port: (door.address() as AddressInfo).port }, adaId!, 'ada', { reconnect: true, reconnectDelayMs: 100, maxReconnectDelayMs: 15_000, maxBusyReconnectDelayMs: 300 });
      const waits: number[] = [];
      ada.on('reconnecting', ({ delayMs }) => waits.push(delayMs));
      closing = true;
      for (const socket of passed) socket.destroy();
      await waitUntil(() => closed >= 5, 'five attempts closed at the door', 30_000);
      closing = false;
      expect((await ada.whoami()).name).to.equal('ada');
      expect(waits.length).to.be.at.least(6);
      expect(Math.max(...waits), waits.join(', ')).to.be.at.most(450);
      ada.close();
    } finally {
      await new Promise((resolve) => door.close(resolve));
    }
  });
});
