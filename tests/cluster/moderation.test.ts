// An operator's kick or ban on one server of a chat: the rooms on the other servers hear the same
// notice (who removed whom, and why) as the rooms on the operator's server, not a plain departure.

import { expect } from 'chai';
import type { LeftMessage } from '../../src/protocol/messages.ts';
import { connectChat, waitUntil } from '../helpers/chat-clients.ts';
import { closedAfterEach, startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import { freshDatabase } from '../helpers/postgres.ts';

describe('cluster: kicks and bans said across servers', function () {
  this.timeout(60_000);
  const track = closedAfterEach();

  it('tells the room members on another server who kicked or banned someone, and why', async function () {
    const cluster = await startCluster(await freshDatabase(this, 'removal'), 2);
    const [adaId, bobId, cyId] = await sharedIdentities();
    const deeId = await generateClientIdentity();
    const ada = track(await connectChat(cluster.servers[0]!, adaId!, 'ada'));
    const cy = track(await connectChat(cluster.servers[0]!, cyId!, 'cy'));
    const dee = track(await connectChat(cluster.servers[0]!, deeId, 'dee'));
    const bob = track(await connectChat(cluster.servers[1]!, bobId!, 'bob'));
    const heard: LeftMessage[] = [];
    const joined: string[] = [];
    bob.on('left', (notice) => heard.push(notice));
    bob.on('joined', (notice) => joined.push(notice.name));
    await bob.join('lobby');
    for (const client of [ada, cy, dee]) await client.join('lobby');
    await waitUntil(() => ['ada', 'cy', 'dee'].every((name) => joined.includes(name)), 'bob (on B) told that ada, cy and dee (on A) joined', 15_000);

    await ada.op('op-secret');
    await ada.command('!kick cy hogging the projector');
    await waitUntil(() => heard.some((notice) => notice.name === 'cy'), 'bob told that cy left', 15_000);
    expect(heard.find((notice) => notice.name === 'cy')).to.deep.include({ room: 'lobby', reason: 'disconnected', moderation: { action: 'kicked', by: 'ada', reason: 'hogging the projector' } });

    await ada.command('!ban dee spamming');
    await waitUntil(() => heard.some((notice) => notice.name === 'dee'), 'bob told that dee left', 15_000);
    expect(heard.find((notice) => notice.name === 'dee')).to.deep.include({ room: 'lobby', reason: 'disconnected', moderation: { action: 'banned', by: 'ada', reason: 'spamming' } });

    // A plain departure stays plain.
    ada.close();
    await waitUntil(() => heard.some((notice) => notice.name === 'ada'), 'bob told that ada left', 15_000);
    expect(heard.find((notice) => notice.name === 'ada')).to.not.have.property('moderation');
  });
});
