// Issue 17, denial of service item 6, as attacks on a `parlor serve` child over loopback: creating
// password rooms in a loop (each a scrypt hash, each room for good) meets a per-identity budget and
// caps per creator and in all, and scrypt runs a bounded number at a time behind a short queue.

import { expect } from 'chai';
import { JOIN_PASSWORD, rawAnswers, rawRequest, waitUntil, type RawAnswer } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';

let nextId = 1;
async function login(port: number, index: number, name: string): Promise<RawPeer> {
  const peer = await rawPeer(port, (await sharedIdentities())[index]!);
  const answer = await rawRequest(peer, { id: nextId++, type: 'login', name, password: JOIN_PASSWORD });
  expect(answer.type, JSON.stringify(answer)).to.equal('reply');
  return peer;
}

/** Sends the requests in one frame and resolves with their answers, in order. */
async function together(peer: RawPeer, requests: Array<Record<string, unknown>>): Promise<RawAnswer[]> {
  const ids = requests.map(() => nextId++);
  peer.sendPayload(peer.seal(...requests.map((request, i) => ({ id: ids[i], ...request }))));
  await waitUntil(() => ids.every((id) => rawAnswers(peer).has(id)), 'answers', 20_000);
  return ids.map((id) => rawAnswers(peer).get(id)!);
}

const outcome = (a: RawAnswer) => (a.type === 'reply' ? 'ok' : a.code!);

describe('security: creating rooms and hashing their passwords (issue 17, item 6)', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  afterEach(async () => {
    await server?.stop();
  });

  it('budgets `create` per identity: a loop of password rooms gets 3 at once, then RATE_LIMITED with retryAfterMs, also after reconnecting', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--creates-per-minute', '6']);
    const mallory = await login(server.port, 0, 'mallory');
    const answers = await together(mallory, Array.from({ length: 8 }, (_, i) => ({ type: 'create', room: `spam${i}`, password: 'pw' })));
    expect(answers.map(outcome)).to.deep.equal(['ok', 'ok', 'ok', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(answers[3]!.retryAfterMs).to.be.greaterThan(1000);
    mallory.socket.destroy();
    const again = await login(server.port, 0, 'mallory');
    expect(outcome((await together(again, [{ type: 'create', room: 'spam9', password: 'pw' }]))[0]!)).to.equal('RATE_LIMITED');
    const rooms = (await rawRequest(again, { id: nextId++, type: 'rooms' })).data as { rooms: unknown[] };
    expect(rooms.rooms.length, 'lobby and the three').to.equal(4);
    again.socket.destroy();
  });

  it('caps rooms per creator and in all with TOO_MANY_ROOMS', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--creates-per-minute', '1000', '--max-rooms-per-creator', '2', '--max-rooms', '4']);
    const mallory = await login(server.port, 0, 'mallory');
    const mine = await together(mallory, [1, 2, 3].map((i) => ({ type: 'create', room: `m${i}` })));
    expect(mine.map(outcome)).to.deep.equal(['ok', 'ok', 'TOO_MANY_ROOMS']);
    // #lobby and mallory's two make 3: one more fits on the server.
    const bob = await login(server.port, 1, 'bob');
    const his = await together(bob, [1, 2].map((i) => ({ type: 'create', room: `b${i}` })));
    expect(his.map(outcome)).to.deep.equal(['ok', 'TOO_MANY_ROOMS']);
    expect(his[1]!.message).to.match(/this server has 4 rooms/);
    mallory.socket.destroy();
    bob.socket.destroy();
  });

  it('hashes one password at a time behind a short queue: guesses beyond it are refused RATE_LIMITED before any scrypt', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--password-hash-concurrency', '1', '--max-queued-password-hashes', '2']);
    const owner = await login(server.port, 0, 'owner');
    expect(outcome((await together(owner, [{ type: 'create', room: 'vault', password: 'right' }]))[0]!)).to.equal('ok');
    const guesser = await login(server.port, 1, 'guesser');
    // Five checks at once: one runs, two wait, two are refused at once.
    const answers = await together(guesser, Array.from({ length: 5 }, (_, i) => ({ type: 'join', room: 'vault', password: `guess ${i}` })));
    expect(answers.map(outcome)).to.deep.equal(['BAD_PASSWORD', 'BAD_PASSWORD', 'BAD_PASSWORD', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(answers[3]!.message).to.match(/busy/);
    owner.socket.destroy();
    guesser.socket.destroy();
  });
});
