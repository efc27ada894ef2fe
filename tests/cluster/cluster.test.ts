// Three servers on one PostgreSQL database are one chat: what is said on one reaches the others'
// clients in the one id order, each once; direct messages (sealed too), names, bans and presence
// hold across them.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { connectChat, waitUntil } from '../helpers/chat-clients.ts';
import { collect } from '../helpers/chat-world.ts';
import { startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';

describe('cluster: three servers on one database', function () {
  this.timeout(60_000);
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  const track = (client: ChatClient) => {
    clients.push(client);
    return client;
  };

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
});
