// Issue 17, denial of service item 3, as attacks on a `parlor serve` child over loopback: idle
// connections that finished the handshake no longer hold an address's places for good (a login
// deadline), connections not logged in are capped across addresses too, and a refused client is
// told TOO_MANY_CONNECTIONS (the handshake's error frame) instead of a bare close.

import { expect } from 'chai';
import { connect, type Socket } from 'node:net';
import { ParlorError } from '../../src/protocol/errors.ts';
import { connectChat, JOIN_PASSWORD } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';

/** A TCP connection from a chosen loopback source address that sends nothing. */
function idleSocket(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

async function refusalOf(attempt: Promise<unknown>): Promise<ParlorError> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof ParlorError) return error;
    throw error;
  }
  throw new Error('the connection was accepted');
}

describe('security: places for connections that have not logged in (issue 17, item 3)', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  const sockets: Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.stop();
  });

  it('closes handshaken connections that never log in with LOGIN_TIMEOUT, which gives their address its places back', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated-per-address', '2', '--login-timeout', '1500']);
    const [identity, other] = await sharedIdentities();
    // The attack: finish the handshake, then say nothing, holding every place of the address.
    const idle = [await rawPeer(server.port, identity!), await rawPeer(server.port, identity!)];
    sockets.push(...idle.map((peer) => peer.socket));
    const refused = await refusalOf(connectChat(server, other!, 'locked-out', { fingerprint: server.fingerprint }));
    expect(refused.code, refused.message).to.equal('TOO_MANY_CONNECTIONS');

    for (const peer of idle) expect(await peer.closed).to.include({ code: 'LOGIN_TIMEOUT' });
    const client = await connectChat(server, other!, 'let-in', { fingerprint: server.fingerprint });
    expect(client.connected).to.equal(true);
    // A logged-in session is past its deadline and stays. A fixed wait on purpose: it proves that
    // the login deadline (1.5 s) closes nothing logged in.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(client.connected, 'a logged-in session was closed by the login deadline').to.equal(true);
    client.close();
    const timedOut = server.events.filter((e) => e.event === 'disconnect' && e.code === 'LOGIN_TIMEOUT');
    expect(timedOut.length).to.equal(2);
  });

  it('caps connections not logged in across addresses, and with no queue (--admission-queue 0) tells a refused client TOO_MANY_CONNECTIONS; a login frees a place', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated', '4', '--admission-queue', '0', '--handshake-timeout', '20000']);
    const [identity] = await sharedIdentities();
    // Half-open sockets from four addresses, one each: under any per-address cap, over the global one.
    for (let i = 2; i <= 5; i++) sockets.push(await idleSocket(server.port, `127.0.0.${i}`));
    const refused = await refusalOf(connectChat(server, identity!, 'newcomer', { fingerprint: server.fingerprint }));
    expect(refused.code, refused.message).to.equal('TOO_MANY_CONNECTIONS');
    expect(refused.message).to.match(/too many connections that have not logged in/);
    expect(await server.waitForEvent((e) => e.event === 'refused')).to.include({ code: 'TOO_MANY_CONNECTIONS' });

    sockets.shift()!.destroy();
    await server.waitForEvent((e) => e.event === 'handshake_failed');
    const client = await connectChat(server, identity!, 'newcomer', { fingerprint: server.fingerprint });
    expect(client.connected).to.equal(true);
    // Logged in, it holds no place: the next one is admitted too.
    const next = await connectChat(server, (await sharedIdentities())[1]!, 'second', { fingerprint: server.fingerprint });
    expect(next.connected).to.equal(true);
    client.close();
    next.close();
  });

  it('over the cap in all, a connection waits at the door and is served once a place frees, refused by no one', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated', '2', '--handshake-timeout', '20000']);
    const [identity, other] = await sharedIdentities();
    for (const address of ['127.0.0.2', '127.0.0.3']) sockets.push(await idleSocket(server.port, address));
    // Both places are held: these two wait (refused, their promises would reject at once).
    const first = connectChat(server, identity!, 'first', { fingerprint: server.fingerprint });
    const second = connectChat(server, other!, 'second', { fingerprint: server.fingerprint });
    sockets.shift()!.destroy();
    const client = await first;
    expect(client.connected).to.equal(true);
    // Logged in, `first` gave its place back: `second` is next.
    const next = await second;
    expect(next.connected).to.equal(true);
    expect(server.count('refused'), 'a connection was refused instead of waiting').to.equal(0);
    client.close();
    next.close();
  });

  it('refuses one that waited --admission-wait-ms with TOO_MANY_CONNECTIONS, saying so, and the place it waited for is still free for others', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated', '1', '--admission-wait-ms', '300', '--handshake-timeout', '20000']);
    const [identity] = await sharedIdentities();
    const holder = await idleSocket(server.port, '127.0.0.2');
    sockets.push(holder);
    const refused = await refusalOf(connectChat(server, identity!, 'patient', { fingerprint: server.fingerprint }));
    expect(refused.code, refused.message).to.equal('TOO_MANY_CONNECTIONS');
    expect(refused.message).to.match(/waited 300 ms for a place/);
    expect(await server.waitForEvent((e) => e.event === 'refused')).to.include({ code: 'TOO_MANY_CONNECTIONS' });
    holder.destroy();
    await server.waitForEvent((e) => e.event === 'handshake_failed');
    const client = await connectChat(server, identity!, 'patient', { fingerprint: server.fingerprint });
    expect(client.connected).to.equal(true);
    client.close();
  });

  it('refuses at once when the queue is full, and a place in the queue counts toward its address cap', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-unauthenticated', '1', '--admission-queue', '1', '--max-unauthenticated-per-address', '2', '--handshake-timeout', '20000']);
    const [identity] = await sharedIdentities();
    // 127.0.0.2 holds the one place and waits in the queue's one place: its 2 places are used.
    sockets.push(await idleSocket(server.port, '127.0.0.2'), await idleSocket(server.port, '127.0.0.2'));
    const fromSameAddress = await idleSocket(server.port, '127.0.0.2');
    sockets.push(fromSameAddress);
    expect((await server.waitForEvent((e) => e.event === 'refused')).code).to.equal('TOO_MANY_CONNECTIONS');
    const queueFull = await refusalOf(connectChat(server, identity!, 'late', { fingerprint: server.fingerprint }));
    expect(queueFull.code, queueFull.message).to.equal('TOO_MANY_CONNECTIONS');
    expect(queueFull.message).to.match(/try again shortly/);
    await server.waitForCount('refused', 2, 10_000);
    // The queued one leaves: its address's place and the queue's place are free again.
    sockets[1]!.destroy();
    sockets[0]!.destroy();
    await server.waitForEvent((e) => e.event === 'handshake_failed');
    const client = await connectChat(server, identity!, 'late', { fingerprint: server.fingerprint });
    expect(client.connected).to.equal(true);
    client.close();
  });
});
