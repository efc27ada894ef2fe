// Discovery on loopback (127.255.255.255 reaches every socket bound to 0.0.0.0 on this host, and
// nothing leaves it). Across real subnets it is tested in network namespaces: lan.test.ts.

import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { ChatClient } from '../../src/client/chat-client.ts';
import { DiscoveryBeacon } from '../../src/discovery/beacon.ts';
import { decodeAdvert, encodeAdvert, encodeProbe, decodeProbe, PROBE_BYTES } from '../../src/discovery/datagrams.ts';
import { discoverServers, type DiscoveredServer } from '../../src/discovery/discover.ts';
import { ParlorServer } from '../../src/server/server.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { expectCode } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const LOOPBACK_BROADCAST = ['127.255.255.255'];

async function all(iterator: AsyncIterable<DiscoveredServer>): Promise<DiscoveredServer[]> {
  const found: DiscoveredServer[] = [];
  for await (const server of iterator) found.push(server);
  return found;
}

describe('discovery: beacon and probe on loopback', () => {
  const servers: ParlorServer[] = [];
  const start = async (options: Parameters<typeof ParlorServer.start>[0] = {}) => {
    const server = await ParlorServer.start({ host: '127.0.0.1', port: 0, ephemeral: true, password: 'pizza', discoveryPort: 0, ...options });
    servers.push(server);
    return server;
  };
  const discoveryPortOf = (server: ParlorServer) => server.discoveryPort!;
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('finds a server with its address, port, fingerprint, password and users online', async () => {
    const server = await start({ name: 'lan-party' });
    const found = await all(discoverServers({ broadcast: LOOPBACK_BROADCAST, discoveryPort: discoveryPortOf(server), timeoutMs: 600 }));
    expect(found).to.have.length(1);
    expect(found[0]).to.deep.include({
      name: 'lan-party',
      host: '127.0.0.1',
      port: server.address.port,
      fingerprint: server.fingerprint,
      password: 'pizza',
      protocol: 1,
      users: 0,
    });
    expect(found[0]!.via).to.include('127.255.255.255');
  });

  it('lists two servers on one discovery port separately, each once despite repeated probes', async () => {
    const first = await start({ name: 'one' });
    const port = discoveryPortOf(first);
    const second = await start({ name: 'two', discoveryPort: port });
    const found = await all(discoverServers({ broadcast: LOOPBACK_BROADCAST, discoveryPort: port, timeoutMs: 1200 }));
    expect(found.map((s) => s.fingerprint).sort()).to.deep.equal([first.fingerprint, second.fingerprint].sort());
  });

  it('leaves the password out with --private', async () => {
    const server = await start({ private: true });
    const [found] = await all(discoverServers({ broadcast: LOOPBACK_BROADCAST, discoveryPort: discoveryPortOf(server), timeoutMs: 600 }));
    expect(found).to.exist;
    expect(found).not.to.have.property('password');
  });

  it('is not a reflector: short probes get nothing, and answers to one source are rate-limited', async () => {
    const server = await start();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    let answers = 0;
    let largest = 0;
    socket.on('message', (message) => {
      answers++;
      largest = Math.max(largest, message.length);
    });
    const { bytes } = encodeProbe();
    for (let i = 0; i < 20; i++) socket.send(bytes.subarray(0, 64), discoveryPortOf(server), '127.0.0.1');
    // Fixed waits on purpose, here and below: they prove that no answer (or no more than the rate
    // allows) comes within them.
    await new Promise((r) => setTimeout(r, 200));
    expect(answers, 'short probes').to.equal(0);
    for (let i = 0; i < 40; i++) socket.send(bytes, discoveryPortOf(server), '127.0.0.1');
    await new Promise((r) => setTimeout(r, 300));
    socket.close();
    expect(answers).to.be.within(1, 12);
    expect(largest).to.be.at.most(PROBE_BYTES);
  });

  it('survives 10,000 malformed datagrams and still answers a real probe', async () => {
    const server = await start();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const { bytes } = encodeProbe();
    for (let i = 0; i < 10_000; i++) {
      const garbage = Buffer.from(bytes.subarray(0, 1 + (i % PROBE_BYTES)));
      garbage[i % garbage.length]! ^= 0x55;
      socket.send(garbage, discoveryPortOf(server), '127.0.0.1');
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    socket.close();
    // Asked again until the rate limit, spent on the garbage, has refilled enough to answer.
    let found: DiscoveredServer[] = [];
    for (let round = 0; round < 10 && found.length === 0; round++) found = await all(discoverServers({ broadcast: LOOPBACK_BROADCAST, discoveryPort: discoveryPortOf(server), timeoutMs: 600 }));
    expect(found.map((s) => s.fingerprint)).to.deep.equal([server.fingerprint]);
  });

  it('ignores malformed and forged adverts, and a spoofed advert cannot redirect a client to an impostor', async () => {
    const real = await start();
    const impostor = await start({ discovery: false });
    // A fake beacon: garbage first, then an advert that names the real server's key but the
    // impostor's port, as someone on the LAN could send.
    const fake = createSocket('udp4');
    // Bound like a real beacon (all addresses), which is what a loopback broadcast reaches.
    await new Promise<void>((resolve) => fake.bind(0, '0.0.0.0', resolve));
    fake.on('message', (probe, remote) => {
      const nonce = decodeProbe(probe);
      if (!nonce) return;
      fake.send(Buffer.from('PRLR!garbage'), remote.port, remote.address);
      fake.send(Buffer.alloc(2000), remote.port, remote.address);
      const advert = encodeAdvert(nonce, { name: 'real', port: impostor.address.port, fingerprint: real.fingerprint, password: 'pizza', protocol: 1, users: 0 }, probe.length)!;
      expect(decodeAdvert(advert)).to.exist;
      fake.send(advert, remote.port, remote.address);
    });
    const fakePort = (fake.address() as { port: number }).port;
    const found = await all(discoverServers({ broadcast: LOOPBACK_BROADCAST, discoveryPort: fakePort, timeoutMs: 600 }));
    fake.close();
    expect(found).to.have.length(1);
    const [identity] = await sharedIdentities();
    // The advert's fingerprint pins the handshake: the impostor's key is refused.
    await expectCode(
      ChatClient.connect({ host: found[0]!.host, port: found[0]!.port, fingerprint: found[0]!.fingerprint, identity: identity!, configDir: tempDir('c'), name: 'ada', password: found[0]!.password!, reconnect: false }),
      'FINGERPRINT_MISMATCH',
    );
  });

  it('parlor discover --json lists a running server; --no-discovery servers are not found', async () => {
    const server = await startServerProcess(['--ephemeral', '--password', 'pizza', '--discovery-port', '0']);
    const listening = server.events[0]!;
    const port = String(listening.discoveryPort);
    const result = await runParlor(['discover', '--json', '--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', port, '--timeout', '700']);
    expect(result.code, result.stderr).to.equal(0);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ event: 'server', fingerprint: server.fingerprint, port: server.port, password: 'pizza' });

    const hidden = await startServerProcess(['--ephemeral', '--no-discovery']);
    expect(hidden.events[0]).to.include({ discoveryPort: null });
  });
});

describe('discovery: a beacon that cannot make its advert', () => {
  it('ignores the probe instead of crashing (a probe that comes before the server is listening)', async () => {
    let calls = 0;
    const beacon = await DiscoveryBeacon.start({
      port: 0,
      advert: () => {
        calls++;
        throw new Error('the server is not listening');
      },
    });
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    socket.send(encodeProbe().bytes, beacon.port, '127.0.0.1');
    await waitUntil(() => calls === 1, 'the probe handled');
    // Still there after the failed advert: a second probe is handled too.
    socket.send(encodeProbe().bytes, beacon.port, '127.0.0.1');
    await waitUntil(() => calls === 2, 'a second probe handled');
    socket.close();
    await beacon.close();
  });
});

describe('discovery: a client flooded with malformed adverts', () => {
  it('takes 10,000 malformed adverts in its window without a throw and yields only the real one', async () => {
    const fake = createSocket('udp4');
    await new Promise<void>((resolve) => fake.bind(0, '0.0.0.0', resolve));
    const fingerprint = 'SHA256:' + 'B'.repeat(43);
    let flooded = false;
    fake.on('message', async (probe, remote) => {
      const nonce = decodeProbe(probe);
      if (!nonce) return;
      const flood = !flooded;
      flooded = true;
      const valid = encodeAdvert(nonce, { name: 'real', port: 7447, fingerprint, protocol: 1, users: 0 }, probe.length)!;
      // Five kinds of certainly invalid advert, 2,000 of each.
      const kinds = [
        () => Buffer.concat([valid.subarray(0, 6), Buffer.alloc(16, 0xee), valid.subarray(22)]), // a foreign nonce
        (i: number) => valid.subarray(0, 22 + (i % (valid.length - 23))), // JSON cut short
        () => Buffer.concat([Buffer.from('PRLR?'), valid.subarray(5)]), // a probe's magic
        () => Buffer.concat([valid, Buffer.alloc(PROBE_BYTES)]), // oversize
        () => encodeAdvert(nonce, { name: 'real', port: 7447, fingerprint, protocol: 1, users: 0 }, PROBE_BYTES)!.subarray(0, 22), // header only
      ];
      // The flood comes with the first probe; it may overflow the client's receive buffer, so the
      // valid answer to a later probe (the client repeats them) is what must get through.
      for (let i = 0; i < (flood ? 10_000 : 0); i++) {
        fake.send(kinds[i % kinds.length]!(i), remote.port, remote.address);
        if (i % 250 === 0) await new Promise((r) => setImmediate(r));
      }
      fake.send(valid, remote.port, remote.address);
    });
    const port = (fake.address() as { port: number }).port;
    const found = await all(discoverServers({ broadcast: ['127.255.255.255'], discoveryPort: port, timeoutMs: 2500 }));
    fake.close();
    expect(found).to.have.length(1);
    expect(found[0]).to.include({ name: 'real', fingerprint, port: 7447 });
  });
});
