// What a server knows of a person's sessions holds on the chat's other servers too: a visitor of
// one server's SSH front door is marked "not end-to-end" on every server (the key is in the
// database as held by a server), and a reconnect that lands on another server replaces its own
// ghost session on the first (`resume`), without the rooms seeing the person leave.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { connectChat, JOIN_PASSWORD, sleep, waitUntil } from '../helpers/chat-clients.ts';
import { collect } from '../helpers/chat-world.ts';
import { closedAfterEach, startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { ParlorClient } from '../../src/client/client.ts';
import { hasOpenSsh, runSsh, sshVisitor } from '../helpers/ssh-client.ts';

describe('cluster: sessions across servers', function () {
  this.timeout(90_000);
  const track = closedAfterEach();

  it('marks a visitor over ssh on one server as not end-to-end on another: whois, the DM it sends, the DM sent to it', async function () {
    if (!hasOpenSsh()) skipOrFail(this, 'OpenSSH client (ssh, ssh-keygen: Debian openssh-client) not installed');
    const cluster = await startCluster(await freshDatabase(this, 'sshacross'), 2, ['--ssh', '--ssh-port', '0']);
    const sshPort = (await cluster.servers[0]!.waitForEvent((event) => event.event === 'listening')).sshPort as number;
    const [bobId] = await sharedIdentities();
    const bob = track(await connectChat(cluster.servers[1]!, bobId!, 'bob'));
    const atBob = collect(bob);

    // ada, over ssh on A, writes to bob, who is on B.
    const sent = await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, ['send', '@bob', 'hello from the terminal']);
    expect(sent.code, sent.stderr).to.equal(0);
    await waitUntil(() => atBob.some((m) => m.text === 'hello from the terminal'), 'the DM at bob, on B', 15_000);
    expect(atBob.find((m) => m.text === 'hello from the terminal')!.e2e).to.deep.equal({ state: 'none', sshUser: 'ada' });

    // B says that ada's key is held by a server, so bob's client does not seal to it and says why.
    expect((await bob.whois('ada')).via).to.equal('ssh');
    const answer = await bob.dm('ada', 'got it');
    expect(answer.sshUser).to.equal('ada');
    const history = await bob.history({ with: 'ada', limit: 10 });
    expect(history.messages.map((m) => [m.text, m.e2e])).to.deep.include.members([['got it', { state: 'none', sshUser: 'ada' }]]);
  });

  it("lets a reconnect on another server replace its ghost session on the first (resume), the rooms on both seeing nobody leave or come", async function () {
    const cluster = await startCluster(await freshDatabase(this, 'resume'), 2);
    const [adaId, bobId, cyId] = await sharedIdentities();
    const [a, b] = cluster.servers;
    const bob = track(await connectChat(a!, bobId!, 'bob'));
    const cy = track(await connectChat(b!, cyId!, 'cy'));
    const notices: string[] = [];
    for (const [who, client] of [['bob', bob], ['cy', cy]] as const) {
      client.on('joined', (notice) => notices.push(`${who}: ${notice.name} joined`));
      client.on('left', (notice) => notices.push(`${who}: ${notice.name} left`));
      await client.join('lobby');
    }
    const connect = (server: typeof a) => ParlorClient.connect({ host: server!.host, port: server!.port, identity: adaId!, configDir: tempDir('resume'), fingerprint: server!.fingerprint });
    // ada on A, in the lobby: her connection is about to be a ghost (A has not seen it die).
    const ghost = await connect(a);
    const login = (await ghost.request('login', { name: 'ada', password: JOIN_PASSWORD })) as { session: string };
    await ghost.request('join', { room: 'lobby' });
    await waitUntil(() => notices.includes('bob: ada joined') && notices.includes('cy: ada joined'), 'both rooms told that ada joined', 15_000, () => notices.join('; '));
    notices.length = 0;

    // Her reconnect lands on B and names the session on A.
    const fresh = await connect(b);
    const closed = ghost.closedPromise();
    await fresh.request('login', { name: 'ada', password: JOIN_PASSWORD, resume: login.session });
    expect((await closed).reason).to.deep.include({ code: 'SESSION_REPLACED', message: 'this session reconnected on server B of the chat' });
    await fresh.request('join', { room: 'lobby' });
    try {
      // Both servers have seen the move: ada is in the lobby on B only.
      const where = async (client: ChatClient) => (await client.members('lobby')).members.filter((m) => m.name === 'ada').map((m) => m.server);
      for (const client of [bob, cy]) {
        let seen = '';
        for (let round = 0; round < 150; round++) {
          seen = JSON.stringify(await where(client));
          if (seen === '["B"]') break;
          await sleep(100);
        }
        expect(seen, 'where ada is in the lobby').to.equal('["B"]');
      }
      expect(notices, 'neither room was told that ada left or came').to.deep.equal([]);
    } finally {
      fresh.close();
    }
  });
});
