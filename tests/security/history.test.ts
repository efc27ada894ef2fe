// Issue 17, denial of service items 1 and 5, as attacks on a `parlor serve` child over loopback:
// oversized messages no longer lock everyone out of a room (a sealed message goes only to a secret
// room and is sized for its members; a join or login reply's history fits the reader's outbound
// cap by construction: fewer messages and `more`, never SLOW_CONSUMER), and a history page is
// bounded by bytes as well as count, so paging through large rows keeps the server's memory flat.

import { expect } from 'chai';
import type { ServerEvent } from '../../src/server/events.ts';
import { ParlorServer } from '../../src/server/server.ts';
import { SecureConnection } from '../../src/transport/secure-connection.ts';
import { JOIN_PASSWORD, connectChat, rawAnswers, rawRequest, residentBytes, sleep, waitUntil, type RawAnswer } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Page {
  messages: Array<{ id: number; text: string }>;
  more: boolean;
}

let nextId = 1;
async function ok(peer: RawPeer, request: Record<string, unknown>): Promise<unknown> {
  const answer = await rawRequest(peer, { id: nextId++, ...request } as { id: number; type: string });
  expect(answer.type, JSON.stringify(answer).slice(0, 300)).to.equal('reply');
  return answer.data;
}

/** Sends `count` requests in frames of `perFrame`, each frame answered before the next. */
async function sendAll(peer: RawPeer, count: number, perFrame: number, make: (i: number) => Record<string, unknown>): Promise<RawAnswer[]> {
  const answers: RawAnswer[] = [];
  for (let first = 0; first < count; first += perFrame) {
    const ids = Array.from({ length: Math.min(perFrame, count - first) }, (_, k) => ({ id: nextId++, i: first + k }));
    peer.sendPayload(peer.seal(...ids.map(({ id, i }) => ({ id, ...make(i) }))));
    await waitUntil(() => ids.every(({ id }) => rawAnswers(peer).has(id)), 'answers to a frame of requests', 20_000);
    answers.push(...ids.map(({ id }) => rawAnswers(peer).get(id)!));
  }
  return answers;
}

const big = (i: number, bytes: number) => `${i} `.padEnd(bytes, 'x');
const base64Of = (chars: number) => 'A'.repeat(chars - (chars % 4));

describe('security: history cannot lock readers out or blow up memory (issue 17, items 1, 5)', function () {
  this.timeout(120_000);
  let server: ServerProcess;
  afterEach(async () => {
    await server?.stop();
  });

  it('refuses sealed messages outside secret rooms and envelopes larger than the room needs', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD]);
    const [malloryKey, bobKey] = await sharedIdentities();
    const mallory = await rawPeer(server.port, malloryKey!);
    await ok(mallory, { type: 'login', name: 'mallory', password: JOIN_PASSWORD });
    await ok(mallory, { type: 'join', room: 'lobby' });
    const inLobby = await rawRequest(mallory, { id: nextId++, type: 'e2e_say', room: 'lobby', sealed: base64Of(1000) });
    expect(inLobby).to.include({ type: 'error', code: 'BAD_REQUEST' });

    await ok(mallory, { type: 'create', room: 'vault', secret: true });
    const bob = await connectChat(server, bobKey!, 'bob', { fingerprint: server.fingerprint });
    await bob.join('vault');
    // The attack of the issue: 400,000 characters "sealed" to two members.
    const huge = await rawRequest(mallory, { id: nextId++, type: 'e2e_say', room: 'vault', sealed: base64Of(400_000) });
    expect(huge).to.include({ type: 'error', code: 'MESSAGE_TOO_LONG' });
    const hugeDm = await rawRequest(mallory, { id: nextId++, type: 'e2e_dm', to: 'bob', sealed: base64Of(400_000) });
    expect(hugeDm).to.include({ type: 'error', code: 'MESSAGE_TOO_LONG' });
    // What an honest client makes for two members goes through (the server cannot open it).
    await ok(mallory, { type: 'e2e_say', room: 'vault', sealed: base64Of(9000) });
    bob.close();
  });

  it('gives a join and a login fewer history messages (with `more`) rather than overflow the outbound cap, and the rest by paging', async () => {
    server = await startServerProcess([
      '--ephemeral', '--password', JOIN_PASSWORD,
      '--max-outbound-bytes', String(256 * KiB), '--max-message-bytes', String(60 * KiB),
      '--rate', '1000', '--burst', '1000',
    ]);
    const [malloryKey, bobKey, carolKey] = await sharedIdentities();
    const mallory = await rawPeer(server.port, malloryKey!);
    await ok(mallory, { type: 'login', name: 'mallory', password: JOIN_PASSWORD });
    await ok(mallory, { type: 'join', room: 'lobby' });
    const bob = await rawPeer(server.port, bobKey!);
    await ok(bob, { type: 'login', name: 'bob', password: JOIN_PASSWORD });
    bob.socket.destroy();
    // 20 messages of 60 KB in #lobby and 20 to bob: 1.2 MB each, far over the 256 KiB cap.
    const said = await sendAll(mallory, 20, 5, (i) => ({ type: 'say', room: 'lobby', text: big(i, 60 * KiB) }));
    const dms = await sendAll(mallory, 20, 5, (i) => ({ type: 'dm', to: 'bob', text: big(i, 60 * KiB) }));
    expect([...said, ...dms].filter((a) => a.type !== 'reply')).to.deep.equal([]);

    // Carol joins the room: she is let in, with the newest messages that fit.
    const carol = await rawPeer(server.port, carolKey!);
    await ok(carol, { type: 'login', name: 'carol', password: JOIN_PASSWORD });
    const joined = (await ok(carol, { type: 'join', room: 'lobby' })) as { history: Page['messages']; more: boolean };
    expect(joined.more).to.equal(true);
    expect(joined.history.length).to.be.within(1, 4);
    expect(joined.history.at(-1)!.text.startsWith('19 ')).to.equal(true);
    // Paging back reaches every message, oldest first within each page.
    const seen = joined.history.map((m) => m.id);
    let before = joined.history[0]!.id;
    for (let round = 0; round < 40; round++) {
      const page = (await ok(carol, { type: 'history', room: 'lobby', before, limit: 500 })) as Page;
      seen.unshift(...page.messages.map((m) => m.id));
      if (!page.more) break;
      before = page.messages[0]!.id;
    }
    expect(seen.length).to.equal(20);

    // Bob logs in: his direct messages are cut the same way.
    const bobAgain = await rawPeer(server.port, bobKey!);
    const login = (await ok(bobAgain, { type: 'login', name: 'bob', password: JOIN_PASSWORD })) as { direct: Page['messages']; directMore: boolean };
    expect(login.directMore).to.equal(true);
    expect(login.direct.length).to.be.within(1, 4);

    // A fixed wait on purpose: it proves that no SLOW_CONSUMER drop or internal error follows.
    await sleep(200);
    expect(server.events.filter((e) => e.event === 'disconnect' && e.code === 'SLOW_CONSUMER')).to.deep.equal([]);
    expect(server.events.filter((e) => e.event === 'error'), 'internal errors').to.deep.equal([]);
    for (const peer of [mallory, carol, bobAgain]) peer.socket.destroy();
  });

  it('closes, without an internal error, a client whose login reply does not fit behind what it has not read', async () => {
    // The TypeError of the issue: the login reply overflowed the outbound cap and closed the
    // session, then the server read session.user of a session that had logged out. The backlog
    // is made to stand at the cap when the reply is queued (the server's own connection, told so
    // for that moment), since a loopback reader's kernel buffers would otherwise absorb it.
    const events: ServerEvent[] = [];
    const inProcess = await ParlorServer.start({ host: '127.0.0.1', port: 0, ephemeral: true, password: JOIN_PASSWORD, discovery: false, maxOutboundBytes: 65_536 }, (e) => events.push(e));
    const port = inProcess.address.port;
    const real = Object.getOwnPropertyDescriptor(SecureConnection.prototype, 'bufferedBytes')!;
    try {
      const [identity] = await sharedIdentities();
      const peer = await rawPeer(port, identity!);
      Object.defineProperty(SecureConnection.prototype, 'bufferedBytes', {
        configurable: true,
        get(this: SecureConnection) {
          return this.socket.localPort === port ? 65_536 : (real.get!.call(this) as number);
        },
      });
      peer.sendPayload(peer.seal({ id: 1, type: 'login', name: 'overflow', password: JOIN_PASSWORD }));
      expect(await peer.closed).to.include({ code: 'SLOW_CONSUMER' });
      await waitUntil(() => events.some((e) => e.event === 'disconnect'), 'the disconnect event');
      expect(events.filter((e) => e.event === 'error'), 'internal errors').to.deep.equal([]);
      expect(events.filter((e) => e.event === 'login'), 'a login reported for a closed session').to.deep.equal([]);
    } finally {
      Object.defineProperty(SecureConnection.prototype, 'bufferedBytes', real);
      await inProcess.stop();
    }
  });

  it('bounds a history page by bytes: 500 rows of 60 KB paged with limit=500 keep the server RSS flat', async function () {
    server = await startServerProcess([
      '--data', tempDir('history-bytes'), '--password', JOIN_PASSWORD,
      '--max-message-bytes', String(60 * KiB), '--rate', '100000', '--burst', '100000',
    ]);
    const pid = server.child.pid!;
    if (residentBytes(pid) === undefined) skipOrFail(this, "no /proc/<pid>/status to read the server's VmRSS from");
    const [writerKey] = await sharedIdentities();
    const writer = await rawPeer(server.port, writerKey!);
    await ok(writer, { type: 'login', name: 'writer', password: JOIN_PASSWORD });
    await ok(writer, { type: 'join', room: 'lobby' });
    await sendAll(writer, 500, 15, (i) => ({ type: 'say', room: 'lobby', text: big(i, 60 * KiB) }));

    const baseline = residentBytes(pid)!;
    let peak = baseline;
    for (let i = 0; i < 10; i++) {
      const page = (await ok(writer, { type: 'history', room: 'lobby', limit: 500 })) as Page;
      peak = Math.max(peak, residentBytes(pid) ?? 0);
      expect(page.more).to.equal(true);
      // The default page budget is 1 MiB: 16 of these rows, not 500 (30 MB).
      expect(page.messages.length).to.be.within(1, 17);
    }
    console.log(`      server RSS ${(baseline / MiB).toFixed(1)} MiB before 10 pages of limit=500, peak ${(peak / MiB).toFixed(1)} MiB`);
    expect(peak - baseline).to.be.below(48 * MiB);
    writer.socket.destroy();
  });
});
