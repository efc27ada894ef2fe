// Three servers on one PostgreSQL database are one chat: what is said on one reaches the others'
// clients in the one id order, each once; direct messages (sealed too), names, bans and presence
// hold across them.

import { expect } from 'chai';
import { connectChat, sleep, waitUntil } from '../helpers/chat-clients.ts';
import { collect, expectCode } from '../helpers/chat-world.ts';
import { closedAfterEach, startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../../src/store/postgres-schema.ts';
import { discoverServers, type DiscoveredServer } from '../../src/discovery/discover.ts';

describe('cluster: three servers on one database', function () {
  this.timeout(60_000);
  const track = closedAfterEach();

  it('delivers room messages said on any server to the members on every server, in one id order, each once', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'cluster'), 3);
    expect(new Set(cluster.servers.map((server) => server.fingerprint)).size, 'one identity').to.equal(1);
    const ids = await sharedIdentities();
    const people = await Promise.all(cluster.servers.map(async (server, index) => track(await connectChat(server, ids[index]!, `p${index}`))));
    const seen = people.map((client) => collect(client));
    for (const client of people) await client.join('lobby');
    const sent: number[] = [];
    await Promise.all(
      people.map(async (client, index) => {
        for (let round = 0; round < 15; round++) sent.push((await client.say('lobby', `${index}:${round}`)).id);
      }),
    );
    sent.sort((a, b) => a - b);
    const fromOthers = (index: number) => seen[index]!.filter((m) => m.from !== `p${index}`);
    for (const index of [0, 1, 2]) {
      await waitUntil(() => fromOthers(index).length >= 30, `p${index} heard the 30 messages of the others`, 15_000, () => String(fromOthers(index).length));
    }
    for (const index of [0, 1, 2]) {
      const got = seen[index]!.map((m) => m.id);
      expect(new Set(got).size, `p${index}: each once`).to.equal(got.length);
      expect(got, `p${index}: in id order`).to.deep.equal([...got].sort((a, b) => a - b));
      expect(seen[index]!.filter((m) => m.from === `p${index}`), `p${index} is not sent its own`).to.deep.equal([]);
    }
    // And history, read on any server, is the same one order.
    const histories = await Promise.all(people.map(async (client) => (await client.history({ room: 'lobby', limit: 100 })).messages.map((m) => m.id)));
    for (const history of histories) expect(history).to.deep.equal(sent);
  });

  it('carries DMs, sealed and plain, between servers (and the sender\'s other sessions), announcements, and a !quit on one server to the others', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'cluster'), 3);
    const [adaId, bobId] = await sharedIdentities();
    const ada = track(await connectChat(cluster.servers[0]!, adaId!, 'ada'));
    const bob = track(await connectChat(cluster.servers[1]!, bobId!, 'bob'));
    // Ada's second session, on the third server: it sees what she sends from the first.
    const adaAgain = track(await connectChat(cluster.servers[2]!, adaId!, 'ada'));
    const [atBob, atAdaAgain] = [collect(bob), collect(adaAgain)];
    const sealed = await ada.dm('bob', 'sealed across servers');
    const plain = await ada.request('dm', { to: 'bob', text: 'plain across servers' });
    await waitUntil(() => atBob.length >= 2 && atAdaAgain.length >= 2, 'both DMs at bob and at ada\'s other session', 15_000);
    expect(atBob.map((m) => [m.id, m.text])).to.deep.equal([[sealed.id, 'sealed across servers'], [plain.id, 'plain across servers']]);
    expect(atBob[0]!.e2e?.state, 'opened and verified by bob').to.equal('verified');
    expect(atAdaAgain.map((m) => m.id)).to.deep.equal([sealed.id, plain.id]);
    const reply = await bob.dm('ada', 'back to you');
    await waitUntil(() => atAdaAgain.some((m) => m.id === reply.id), 'bob\'s answer at ada\'s session on the third server', 15_000);

    // An operator's announcement on A reaches bob on B; !quit on C stops C, and B's people are told.
    const notices: string[] = [];
    bob.on('announcement', (notice) => notices.push(`${notice.from}: ${notice.text}`));
    await ada.op('op-secret');
    await ada.command('!announce tea in the kitchen');
    await waitUntil(() => notices.includes('ada: tea in the kitchen'), 'the announcement at bob, on another server', 15_000);
    await adaAgain.command('!quit op-secret');
    expect(await cluster.servers[2]!.exited, 'C stopped').to.equal(0);
    await waitUntil(() => notices.some((notice) => notice.startsWith('C: server C is stopping')), 'bob told that C stopped', 15_000, () => notices.join(' | '));
  });

  it('carries a secret room across servers: members on another server get the keys to seal to, and open what is said', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'cluster'), 2);
    const [adaId, bobId] = await sharedIdentities();
    const ada = track(await connectChat(cluster.servers[0]!, adaId!, 'ada'));
    const bob = track(await connectChat(cluster.servers[1]!, bobId!, 'bob'));
    await ada.create('vault', undefined, { secret: true });
    // A room made on A is known on B once B has heard of it (a notification later).
    for (let round = 0; round < 100 && !(await bob.listRooms()).rooms.some((room) => room.name === 'vault'); round++) await sleep(50);
    const bobJoined = new Promise<void>((resolve) => ada.on('joined', (notice) => notice.name === 'bob' && resolve()));
    await bob.join('vault');
    await bobJoined;
    const [atAda, atBob] = [collect(ada), collect(bob)];
    const fromAda = await ada.say('vault', 'sealed from A');
    const fromBob = await bob.say('vault', 'sealed from B');
    await waitUntil(() => atBob.some((m) => m.id === fromAda.id) && atAda.some((m) => m.id === fromBob.id), 'each has the other\'s sealed room message', 15_000);
    expect(atBob.find((m) => m.id === fromAda.id)).to.deep.include({ text: 'sealed from A' });
    expect(atBob.find((m) => m.id === fromAda.id)!.e2e?.state).to.equal('verified');
    expect(atAda.find((m) => m.id === fromBob.id)!.e2e?.state).to.equal('verified');
  });

  it('keeps names, blocks, kicks, bans and presence across servers: NAME_TAKEN for a name online elsewhere, /users says where, a block, kick and ban made on one server hold on the others', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'cluster'), 3);
    const [adaId, bobId, cyId] = await sharedIdentities();
    const ada = track(await connectChat(cluster.servers[0]!, adaId!, 'ada'));
    await ada.join('lobby');
    const joined: string[] = [];
    ada.on('joined', (notice) => joined.push(`${notice.name}@${notice.room}`));
    const bob = track(await connectChat(cluster.servers[1]!, bobId!, 'bob'));
    await bob.join('lobby');
    await waitUntil(() => joined.includes('bob@lobby'), 'ada (on A) told that bob (on B) joined the lobby', 15_000);

    // The name ada is online on A: another key (cy's) cannot take it on C.
    const taken = await connectChat(cluster.servers[2]!, cyId!, 'ada').then(
      (client) => (track(client), undefined),
      (error: { code?: string; message?: string }) => error,
    );
    expect(taken?.code).to.equal('NAME_TAKEN');
    expect(taken?.message).to.include('server A');

    // Who is online where, asked on C.
    const cy = track(await connectChat(cluster.servers[2]!, cyId!, 'cy'));
    await cy.join('lobby');
    const users = await cy.users();
    expect(users.users.map((u) => `${u.name}@${u.server}`).sort()).to.deep.equal(['ada@A', 'bob@B', 'cy@C']);
    const members = await cy.members('lobby');
    expect(members.members.map((m) => `${m.name}@${m.server}`).sort()).to.deep.equal(['ada@A', 'bob@B', 'cy@C']);

    // A file from ada (on A) to bob (on B) is refused, naming where bob is.
    const refused = await expectCode(ada.request('file_offer', { to: 'bob', name: 'notes.txt', size: 3, sha256: '0'.repeat(64) }), 'TRANSFER_OTHER_SERVER');
    expect(refused.message).to.include('bob is on server B');

    // cy (on C) blocks ada (on A): ada's direct messages to cy are refused on A once A has heard.
    await cy.block('ada');
    let refusedCode: string | undefined;
    for (let attempt = 0; attempt < 100 && refusedCode === undefined; attempt++) {
      refusedCode = await ada.request('dm', { to: 'cy', text: 'are you there?' }).then(
        () => sleep(100).then(() => undefined),
        (error: { code?: string }) => error.code ?? 'no code',
      );
    }
    expect(refusedCode).to.equal('BLOCKED');

    // An operator on A kicks cy, who is on C.
    await ada.op('op-secret');
    // Told in the operator's server's words (who, and why when given), as on that server.
    const kicked = new Promise<string>((resolve) => cy.once('closed', (info) => resolve(`${info.reason.code}: ${info.reason.message}`)));
    await ada.command('!kick cy');
    expect(await kicked).to.equal('KICKED: cy was kicked by ada');

    // An operator on A bans bob, who is on B: he is disconnected there, and cannot come back on C.
    const closed = new Promise<string>((resolve) => bob.once('closed', (info) => resolve(`${info.reason.code}: ${info.reason.message}`)));
    await ada.command('!ban bob spamming');
    expect(await closed).to.equal('BANNED: bob was banned by ada: spamming');
    // C hears of the ban through the database a moment after B does: a login that came first
    // (and is then closed by the ban) is tried again, as a person would.
    let again: { code?: string } | undefined;
    for (let attempt = 0; attempt < 50 && again?.code !== 'BANNED'; attempt++) {
      again = await connectChat(cluster.servers[2]!, bobId!, 'bob').then(
        (client) => (client.close(), sleep(100).then(() => ({ code: 'logged in' }))),
        (error: { code?: string }) => error,
      );
    }
    expect(again?.code).to.equal('BANNED');
  });
});


describe('cluster: start', function () {
  this.timeout(60_000);

  it('migrates a new database once when two servers start on it at the same moment', async function () {
    const url = await freshDatabase(this, 'together');
    const servers = await Promise.all([0, 1].map(() => startServerProcess(['--data', tempDir('together'), '--database', url, '--no-discovery'])));
    expect(servers.map((server) => server.events.some((event) => event.event === 'listening'))).to.deep.equal([true, true]);
    const client = new pg.Client(url);
    await client.connect();
    try {
      const { rows } = await client.query<{ version: number }>('SELECT version FROM parlor_schema ORDER BY version');
      expect(rows.map((row) => row.version)).to.deep.equal(POSTGRES_MIGRATIONS.map((_, index) => index + 1));
    } finally {
      await client.end();
    }
  });

  it('advertises one chat id in discovery from every server of the chat', async function () {
    const url = await freshDatabase(this, 'advert');
    const first = await startServerProcess(['--data', tempDir('advert'), '--database', url, '--discovery-port', '0', '--name', 'A']);
    const second = await startServerProcess(['--data', tempDir('advert'), '--database', url, '--discovery-port', '0', '--name', 'B']);
    const adverts: DiscoveredServer[] = [];
    for (const server of [first, second]) {
      const port = server.events.find((event) => event.event === 'listening')!.discoveryPort as number;
      for await (const found of discoverServers({ broadcast: ['127.255.255.255'], discoveryPort: port, timeoutMs: 800 })) adverts.push(found);
    }
    expect(adverts.map((advert) => advert.port).sort()).to.deep.equal([first.port, second.port].sort());
    expect(adverts[0]!.chat).to.be.a('string').and.not.equal('');
    expect(adverts[1]!.chat).to.equal(adverts[0]!.chat);
  });
});
