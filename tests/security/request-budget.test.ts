// Issue 17, denial of service items 2, 4 and 9, as attacks on a `parlor serve` child over
// loopback: malformed requests spend the budget like good ones, a frame's record count is bounded
// before any record is parsed, the budget belongs to the identity (not the connection, so
// reconnecting does not refill it) with a share per address, and a client that waits the
// retryAfterMs it was told is never disconnected while one that does not is.

import { expect } from 'chai';
import { performance } from 'node:perf_hooks';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import type { ParlorError } from '../../src/protocol/errors.ts';
import type { SecureConnection } from '../../src/transport/secure-connection.ts';
import { connectChat, JOIN_PASSWORD, nextEvent, rawAnswers, rawRequest, sleep, waitUntil, type RawAnswer } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';

/** Sends `count` requests made by `make` in one sealed frame, ids from `firstId`; returns the ids. */
function burst(peer: RawPeer, firstId: number, count: number, make: (id: number) => object): number[] {
  const ids = Array.from({ length: count }, (_, i) => firstId + i);
  peer.sendPayload(peer.seal(...ids.map(make)));
  return ids;
}

async function answersTo(peer: RawPeer, ids: number[]): Promise<RawAnswer[]> {
  await waitUntil(() => ids.every((id) => rawAnswers(peer).has(id)), `answers to ${ids.length} requests`, 10_000);
  return ids.map((id) => rawAnswers(peer).get(id)!);
}

const codes = (answers: RawAnswer[]) => answers.map((a) => (a.type === 'reply' ? 'ok' : a.code!));

describe('security: the request budget (issue 17, items 2, 4, 9)', function () {
  this.timeout(60_000);
  let server: ServerProcess;

  afterEach(async () => {
    await server?.stop();
  });

  it('makes malformed requests before login spend the budget: unknown types and schema errors are answered only while tokens last, then RATE_LIMITED', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--rate', '1', '--burst', '10', '--flood-strikes', '1000']);
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.port, identity!);
    // No login: 30 requests the router cannot use, in one frame.
    const ids = burst(peer, 1, 30, (id) => (id % 2 ? { id, type: 'no_such_type' } : { id, type: 'say', room: 7 }));
    const answers = codes(await answersTo(peer, ids));
    expect(answers.slice(0, 10), answers.join()).to.deep.equal(Array.from({ length: 10 }, (_, i) => (i % 2 ? 'BAD_REQUEST' : 'UNKNOWN_TYPE')));
    expect(answers.slice(10), answers.join()).to.deep.equal(Array(20).fill('RATE_LIMITED'));
    // The bucket is empty for good requests too.
    const ping = await rawRequest(peer, { id: 100, type: 'ping' });
    expect(ping).to.include({ type: 'error', code: 'RATE_LIMITED' });
    peer.socket.destroy();
  });

  it('closes a connection whose frame carries more records than --max-records-per-frame, before parsing or answering any of them', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--max-records-per-frame', '64']);
    const [identity] = await sharedIdentities();
    const peer = await rawPeer(server.port, identity!);
    // ~500 tiny invalid requests fit in one 16 KiB pre-login frame: this is that attack.
    burst(peer, 1, 500, (id) => ({ id, type: 'x' }));
    const closing = await peer.closed;
    expect(closing).to.include({ code: 'BAD_MESSAGE' });
    expect(closing!.message).to.match(/at most 64 records/);
    expect(rawAnswers(peer).size, 'requests answered from the oversized frame').to.equal(0);
    // A frame at the cap is fine.
    const next = await rawPeer(server.port, identity!);
    const ids = burst(next, 1, 64, (id) => ({ id, type: 'ping' }));
    expect((await answersTo(next, ids)).length).to.equal(64);
    next.socket.destroy();
  });

  it('keeps the budget across reconnects of one identity, and shares it between its connections', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--rate', '1', '--burst', '10', '--flood-strikes', '100000']);
    const [identity] = await sharedIdentities();
    const started = performance.now();
    let accepted = 0;
    // The flooder of the issue: disconnect, reconnect, flood again (it stored 380 messages a second).
    for (let round = 0; round < 8; round++) {
      const peer = await rawPeer(server.port, identity!);
      accepted += codes(await answersTo(peer, burst(peer, 1, 10, (id) => ({ id, type: 'ping' })))).filter((c) => c === 'ok').length;
      peer.socket.destroy();
    }
    // Two connections of the same identity at once draw on one bucket.
    const [a, b] = [await rawPeer(server.port, identity!), await rawPeer(server.port, identity!)];
    const both = await Promise.all([answersTo(a, burst(a, 1, 10, (id) => ({ id, type: 'ping' }))), answersTo(b, burst(b, 1, 10, (id) => ({ id, type: 'ping' })))]);
    accepted += both.flatMap(codes).filter((c) => c === 'ok').length;
    const elapsedS = (performance.now() - started) / 1000;
    // The burst once, then the refill (1 a second) over however long this took; per-connection
    // buckets would have let through 10 per connection (100).
    const allowed = 10 + Math.ceil(elapsedS * 1) + 1;
    expect(accepted, `${accepted} requests accepted in ${elapsedS.toFixed(1)} s`).to.be.at.most(allowed);
    a.socket.destroy();
    b.socket.destroy();
  });

  it("bounds every identity behind one address together by the address's share", async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--rate', '100', '--burst', '100', '--address-rate', '1', '--address-burst', '12', '--flood-strikes', '100000']);
    // Fresh identities cost nothing to make: each one has a full bucket of its own.
    const identities = await Promise.all([generateClientIdentity(), generateClientIdentity(), generateClientIdentity(), ...(await sharedIdentities())]);
    const started = performance.now();
    let accepted = 0;
    for (const identity of identities) {
      const peer = await rawPeer(server.port, identity);
      accepted += codes(await answersTo(peer, burst(peer, 1, 10, (id) => ({ id, type: 'ping' })))).filter((c) => c === 'ok').length;
      peer.socket.destroy();
    }
    const elapsedS = (performance.now() - started) / 1000;
    expect(accepted, `${accepted} of ${identities.length * 10} accepted from 6 identities in ${elapsedS.toFixed(1)} s`).to.be.at.most(12 + Math.ceil(elapsedS) + 1);
  });

  it('lets a ChatClient whose connection dropped with its budget spent reconnect: it waits the retryAfterMs its login is told', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--rate', '2', '--burst', '4', '--flood-strikes', '1000']);
    const [identity] = await sharedIdentities();
    const chat = await connectChat(server, identity!, 'ada', { fingerprint: server.fingerprint, reconnect: true, reconnectDelayMs: 50 });
    await chat.join('lobby');
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => chat.say('lobby', `spend ${i}`).then(() => 'ok', (error: ParlorError) => error.code)));
    expect(outcomes, 'the budget was spent').to.include('RATE_LIMITED');
    const reconnected = nextEvent(chat, 'reconnected', 20_000);
    // The network drops the connection (not the server, not the user).
    (chat as unknown as { client: { connection: SecureConnection } }).client.connection.socket.destroy();
    await reconnected;
    expect(chat.connected).to.equal(true);
    expect(server.events.filter((e) => e.event === 'login').length, 'logins: the first, and at least one after the wait').to.be.at.least(2);
    chat.close();
  });

  it('never disconnects a client that waits each retryAfterMs, and disconnects one that does not', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--rate', '100', '--burst', '5', '--flood-strikes', '3', '--flood-window-ms', '10000']);
    const [politeId, rudeId] = await sharedIdentities();

    // Polite: sends 10 at a time, and sends what was refused again only after the longest wait it was told.
    const polite = await rawPeer(server.port, politeId!);
    let todo = Array.from({ length: 40 }, (_, i) => i + 1);
    let nextId = 1000;
    let refusals = 0;
    for (let round = 0; round < 200 && todo.length > 0; round++) {
      const sending = todo.slice(0, 10);
      const ids = burst(polite, nextId, sending.length, (id) => ({ id, type: 'ping', payload: String(sending[id - nextId]) }));
      nextId += sending.length;
      const answers = await answersTo(polite, ids);
      const refused = answers.filter((a) => a.type === 'error');
      for (const refusal of refused) expect(refusal.code).to.equal('RATE_LIMITED');
      refusals += refused.length;
      const done = new Set(answers.flatMap((a, i) => (a.type === 'reply' ? [sending[i]!] : [])));
      todo = todo.filter((n) => !done.has(n));
      // Waits as the server said to (retryAfterMs): the time is the protocol's answer, not a guess.
      if (refused.length > 0) await sleep(Math.max(...refused.map((r) => r.retryAfterMs!)));
    }
    expect(todo, 'requests never accepted').to.deep.equal([]);
    expect(refusals, 'the polite client was never refused: the test did not test').to.be.greaterThan(10);
    expect(polite.socket.destroyed, 'the polite client was disconnected').to.equal(false);

    // Rude: the same, without waiting.
    const rude = await rawPeer(server.port, rudeId!);
    for (let frame = 0; frame < 10; frame++) burst(rude, frame * 10 + 1, 10, (id) => ({ id, type: 'ping' }));
    expect(await rude.closed).to.include({ code: 'RATE_LIMITED' });
    polite.socket.destroy();
  });
});
