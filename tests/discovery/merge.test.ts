// Merging answers for one server that came by different paths: a real beacon on loopback gives the
// broadcast answer (with the users online); the mDNS answer is the same server as browseMdns()
// hands it on (no count of users: TXT records do not carry one).

import { expect } from 'chai';
import { discoverServers, type DiscoveredServer } from '../../src/discovery/discover.ts';
import { DiscoveredServers } from '../../src/discovery/merge.ts';
import { ParlorServer } from '../../src/server/server.ts';

describe('discovery/merge: answers for one server by several paths', () => {
  let server: ParlorServer | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  async function broadcastAnswer(): Promise<DiscoveredServer> {
    server = await ParlorServer.start({ host: '127.0.0.1', port: 0, ephemeral: true, password: 'pizza', discoveryPort: 0, name: 'vm' });
    const discoveryPort = server.discoveryPort!;
    const found: DiscoveredServer[] = [];
    for await (const answer of discoverServers({ broadcast: ['127.255.255.255'], discoveryPort, timeoutMs: 600 })) found.push(answer);
    expect(found).to.have.length(1);
    expect(found[0]!.users).to.equal(0);
    return found[0]!;
  }

  const asMdnsAnswer = (answer: DiscoveredServer): DiscoveredServer => {
    const { users: _users, via: _via, ...fields } = answer;
    return { ...fields, via: 'mdns' };
  };

  it('a broadcast answer after an mDNS one fills in the users online, keeping where to connect', async () => {
    const broadcast = await broadcastAnswer();
    const merge = new DiscoveredServers();
    expect(merge.accept(asMdnsAnswer(broadcast))).to.equal('new');
    expect(merge.get(broadcast)!.users).to.equal(undefined);
    expect(merge.accept(broadcast)).to.equal('updated');
    expect(merge.get(broadcast)).to.deep.include({ users: 0, host: broadcast.host, port: broadcast.port, password: 'pizza' });
    expect(merge.get(broadcast)!.via).to.equal(`mdns, then ${broadcast.via}`);
    // Nothing more to add: the repeated probes' answers, and mDNS again, are duplicates.
    expect(merge.accept(broadcast)).to.equal(undefined);
    expect(merge.accept(asMdnsAnswer(broadcast))).to.equal(undefined);
  });

  it('an mDNS answer after a broadcast one adds nothing, and another server is new', async () => {
    const broadcast = await broadcastAnswer();
    const merge = new DiscoveredServers();
    expect(merge.accept(broadcast)).to.equal('new');
    expect(merge.accept(asMdnsAnswer(broadcast))).to.equal(undefined);
    expect(merge.get(broadcast)).to.deep.equal(broadcast);
    expect(merge.accept({ ...asMdnsAnswer(broadcast), fingerprint: 'SHA256:' + 'Z'.repeat(43) })).to.equal('new');
  });
});
