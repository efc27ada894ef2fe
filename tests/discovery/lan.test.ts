// Discovery on a real (virtual) LAN: servers and clients in their own network namespaces, joined
// by veths into a Linux bridge, so broadcasts really travel between hosts. No traffic leaves the
// namespaces these tests make (see tests/helpers/netns.ts); everything is torn down after each test.

import { expect } from 'chai';
import type { DiscoveredServer } from '../../src/discovery/discover.ts';
import { fileURLToPath } from 'node:url';
import { mdnsHostName } from '../../src/discovery/mdns.ts';
import { avahiResolve, avahiUnavailable } from '../helpers/avahi.ts';
import { destroyLans, Lan, lanUnavailable, removeLeftoverNamespaces, type CommandResult } from '../helpers/netns.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** An mDNS peer that is not parlor's code (multicast-dns directly), run inside a namespace. */
const MDNS_LISTENER = fileURLToPath(new URL('../helpers/mdns-listen.ts', import.meta.url));
const PASSWORD = 'lan-party';
const DISCOVERY_PORT = 7448;
const SERVER_START_MS = 15_000;
const CLIENT_RUN_MS = 15_000;

interface Listening {
  port: number;
  fingerprint: string;
  password: string;
}

/** One line of `parlor discover --json`: a found server, as discoverServers() yields it. */
type Found = DiscoveredServer & { event: string };

/** `parlor serve` in a host's namespace, listening on every IPv4 interface; resolves at "listening". */
async function startServer(lan: Lan, host: string, extra: string[] = []): Promise<Listening> {
  const server = lan.parlor(host, [
    'serve', '--json', '--ephemeral', '--password', PASSWORD, '--host', '0.0.0.0', '--port', '0',
    '--discovery-port', String(DISCOVERY_PORT), ...extra,
  ]);
  const listening = await server.waitForJson((line) => line.event === 'listening', SERVER_START_MS);
  expect(listening.discoveryPort, `the beacon is up in ${host}: ${server.stderr()}`).to.equal(DISCOVERY_PORT);
  return { port: Number(listening.port), fingerprint: String(listening.fingerprint), password: String(listening.password) };
}

/** `parlor discover --json --no-mdns --timeout 1500 ...` in a host's namespace, to completion. */
async function discover(lan: Lan, host: string, extra: string[] = []): Promise<CommandResult & { servers: Found[] }> {
  const result = await lan.run(host, ['discover', '--json', '--no-mdns', '--timeout', '1500', ...extra], CLIENT_RUN_MS);
  expect(result.code, `discover in ${host} exits 0; stderr: ${result.stderr}`).to.equal(0);
  const servers = result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Found);
  for (const server of servers) expect(server.event).to.equal('server');
  return { ...result, servers };
}

describe('discovery across network namespaces (a real broadcast LAN)', () => {
  let unavailable: string | undefined;

  before(async () => {
    unavailable = await lanUnavailable();
    if (unavailable === undefined) await removeLeftoverNamespaces();
  });

  afterEach(async () => {
    await destroyLans();
  });

  /** A fresh LAN, or a skip (a failure under PARLOR_STRICT=1) where namespaces cannot be made. */
  async function newLan(context: Mocha.Context): Promise<Lan> {
    if (unavailable !== undefined) skipOrFail(context, unavailable);
    return Lan.create();
  }

  it('finds a server on another host by the subnet\'s directed broadcast, with its address, port, fingerprint and password', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'] });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'] });
    const server = await startServer(lan, 'srv');

    const { servers, stderr } = await discover(lan, 'cli');
    expect(servers, stderr).to.have.length(1);
    const [found] = servers;
    expect(found).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint, password: PASSWORD, users: 0 });
    expect(found!.protocol).to.be.a('number');
    expect(found!.name).to.be.a('string').and.not.equal('');
    expect(found!.via).to.include('198.51.100.255');
  });

  it('255.255.255.255 alone works with a default route, fails with ENETUNREACH without one, where the default probes still find the server', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'] });
    // The gateway does not exist: a limited broadcast is sent to the link's broadcast MAC, not to it.
    await lan.addHost('routed', { addresses: ['198.51.100.21/24'], defaultRoute: '198.51.100.1' });
    await lan.addHost('bare', { addresses: ['198.51.100.20/24'] });
    const server = await startServer(lan, 'srv');

    const [routed, bareLimited, bareDefault] = await Promise.all([
      discover(lan, 'routed', ['--broadcast', '255.255.255.255']),
      discover(lan, 'bare', ['--broadcast', '255.255.255.255']),
      discover(lan, 'bare'),
    ]);

    expect(routed.servers, routed.stderr).to.have.length(1);
    expect(routed.servers[0]).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint, password: PASSWORD });
    expect(routed.servers[0]!.via).to.include('255.255.255.255');
    expect(routed.stderr).to.equal('');

    expect(bareLimited.servers).to.deep.equal([]);
    expect(bareLimited.stderr).to.match(/cannot probe 255\.255\.255\.255: .*ENETUNREACH/);

    expect(bareDefault.servers, bareDefault.stderr).to.have.length(1);
    expect(bareDefault.servers[0]).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint });
    // Found by the directed broadcast from the socket bound to 198.51.100.20. (The default plan's
    // own 255.255.255.255 goes from 0.0.0.0 and fails here too, with the same stderr line.)
    expect(bareDefault.servers[0]!.via).to.include('198.51.100.255');
  });

  it('a server on two subnets answers each client with its address on that client\'s subnet', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', {
      addresses: [
        { cidr: '198.51.100.10/24', segment: 'a' },
        { cidr: '203.0.113.10/24', segment: 'b' },
      ],
    });
    await lan.addHost('cli-a', { addresses: [{ cidr: '198.51.100.20/24', segment: 'a' }] });
    await lan.addHost('cli-b', { addresses: [{ cidr: '203.0.113.20/24', segment: 'b' }] });
    const server = await startServer(lan, 'srv');

    const [a, b] = await Promise.all([discover(lan, 'cli-a'), discover(lan, 'cli-b')]);
    expect(a.servers, a.stderr).to.have.length(1);
    expect(b.servers, b.stderr).to.have.length(1);
    expect(a.servers[0]).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint });
    expect(b.servers[0]).to.include({ host: '203.0.113.10', port: server.port, fingerprint: server.fingerprint });
    expect(a.servers[0]!.via).to.include('198.51.100.255');
    expect(b.servers[0]!.via).to.include('203.0.113.255');
  });

  it('--interface probes from that interface only: a server reachable only by the other one is not found', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv-b', { addresses: [{ cidr: '203.0.113.10/24', segment: 'b' }] });
    // The client's default route is on segment b: before the fix, 255.255.255.255 from a socket on
    // 0.0.0.0 left that way even with --interface eth0, and found the server on b.
    await lan.addHost('cli', {
      addresses: [
        { cidr: '198.51.100.20/24', segment: 'a' },
        { cidr: '203.0.113.20/24', segment: 'b' },
      ],
      defaultRoute: '203.0.113.1',
    });
    const server = await startServer(lan, 'srv-b');
    const onlyA = await discover(lan, 'cli', ['--interface', 'eth0']);
    expect(onlyA.servers, onlyA.stderr).to.deep.equal([]);
    const onlyB = await discover(lan, 'cli', ['--interface', 'eth1']);
    expect(onlyB.servers.map((s) => s.fingerprint), onlyB.stderr).to.deep.equal([server.fingerprint]);
    expect(onlyB.servers[0]!.via).to.include('from 203.0.113.20');
  });

  it('--interface limits mDNS too: a server that only mDNS can find, on the other interface, is not found', async function () {
    const lan = await newLan(this);
    // bonjour-service sends nothing from a host without a default route: both hosts get one, on b.
    await lan.addHost('srv-b', { addresses: [{ cidr: '203.0.113.10/24', segment: 'b' }], defaultRoute: '203.0.113.1' });
    await lan.addHost('cli', {
      addresses: [
        { cidr: '198.51.100.20/24', segment: 'a' },
        { cidr: '203.0.113.20/24', segment: 'b' },
      ],
      defaultRoute: '203.0.113.1',
    });
    const serverProcess = lan.parlor('srv-b', ['serve', '--json', '--ephemeral', '--password', PASSWORD, '--host', '0.0.0.0', '--port', '0', '--no-discovery']);
    const listening = await serverProcess.waitForJson((line) => line.event === 'listening', SERVER_START_MS);
    const mdnsOnly = ['discover', '--json', '--no-broadcast', '--timeout', '3000'];
    const [onlyA, onlyB] = await Promise.all([
      lan.run('cli', [...mdnsOnly, '--interface', 'eth0'], CLIENT_RUN_MS),
      lan.run('cli', [...mdnsOnly, '--interface', 'eth1'], CLIENT_RUN_MS),
    ]);
    expect(onlyA.code, onlyA.stderr).to.equal(0);
    expect(onlyA.stdout, onlyA.stderr).to.equal('');
    const found = onlyB.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Found);
    expect(found.map((s) => s.fingerprint), onlyB.stderr).to.deep.equal([String(listening.fingerprint)]);
    expect(found[0]).to.include({ host: '203.0.113.10', via: 'mdns' });
  });

  it('publishes over mDNS a server whose name has dots and fills its 64 bytes, with the address it was told to advertise and its SSH port', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'], defaultRoute: '198.51.100.1' });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'], defaultRoute: '198.51.100.1' });
    // Dots split an instance name into labels, and over 63 bytes a label's length byte is corrupt.
    const name = 'lab.home.arpa: the big room upstairs, second door on the left...';
    expect(Buffer.byteLength(name)).to.equal(64);
    const serverProcess = lan.parlor('srv', [
      'serve', '--json', '--ephemeral', '--password', PASSWORD, '--host', '0.0.0.0', '--port', '0', '--no-discovery',
      '--name', name, '--advertise-address', '198.51.100.99', '--ssh', '--ssh-port', '0',
    ]);
    const listening = await serverProcess.waitForJson((line) => line.event === 'listening', SERVER_START_MS);
    const result = await lan.run('cli', ['discover', '--json', '--no-broadcast', '--timeout', '3000'], CLIENT_RUN_MS);
    expect(result.code, result.stderr).to.equal(0);
    const found = result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Found);
    expect(found.map((s) => s.fingerprint), `${result.stdout}\n${result.stderr}\n${serverProcess.stderr()}`).to.deep.equal([String(listening.fingerprint)]);
    expect(found[0]).to.include({ name, host: '198.51.100.99', port: Number(listening.port), sshPort: Number(listening.sshPort), via: 'mdns' });
  });

  it('lists a server found by both mDNS and broadcast once, with its users online (text), however the answers are ordered', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'], defaultRoute: '198.51.100.1' });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'], defaultRoute: '198.51.100.1' });
    const server = await startServer(lan, 'srv');
    const [text, json] = await Promise.all([
      lan.run('cli', ['discover', '--timeout', '2000'], CLIENT_RUN_MS),
      lan.run('cli', ['discover', '--json', '--timeout', '2000'], CLIENT_RUN_MS),
    ]);
    expect(text.code, text.stderr).to.equal(0);
    const rows = text.stdout.split('\n').filter((line) => line.includes(server.fingerprint));
    expect(rows, text.stdout).to.have.length(1);
    expect(rows[0]).to.include('0 online').and.not.include('users unknown');
    // --json: the first answer as "server", and an "update" only if it lacked the count.
    const lines = json.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Found);
    expect(lines[0]).to.include({ event: 'server', fingerprint: server.fingerprint });
    const last = lines.at(-1)!;
    expect(last).to.include({ fingerprint: server.fingerprint, users: 0 });
    expect(lines.length === 1 || (lines.length === 2 && last.event === 'update' && lines[0]!.via === 'mdns'), JSON.stringify(lines)).to.equal(true);
  });

  it('--scan finds a server on a LAN whose bridge drops broadcast, where broadcast probes find nothing', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'] });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'] });
    await lan.dropBroadcast();
    const server = await startServer(lan, 'srv');
    const broadcastOnly = await discover(lan, 'cli');
    expect(broadcastOnly.servers, broadcastOnly.stderr).to.deep.equal([]);
    const scanned = await discover(lan, 'cli', ['--scan']);
    expect(scanned.servers, scanned.stderr).to.have.length(1);
    expect(scanned.servers[0]).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint, via: 'unicast scan from 198.51.100.20' });
  });

  it('mDNS alone (no broadcast) finds the server, and an independent mDNS peer sees _parlor._tcp with its TXT fields and the goodbye', async function () {
    const lan = await newLan(this);
    // bonjour-service sends nothing from a host without a default route: both hosts get one.
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'], defaultRoute: '198.51.100.1' });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'], defaultRoute: '198.51.100.1' });
    const serverProcess = lan.parlor('srv', ['serve', '--json', '--ephemeral', '--password', PASSWORD, '--host', '0.0.0.0', '--port', '0', '--no-discovery']);
    const listening = await serverProcess.waitForJson((line) => line.event === 'listening', SERVER_START_MS);
    expect(listening).to.include({ mdns: true, discoveryPort: null });

    const result = await lan.run('cli', ['discover', '--json', '--no-broadcast', '--timeout', '3000'], CLIENT_RUN_MS);
    const found = result.stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Found);
    expect(found, result.stderr).to.have.length(1);
    expect(found[0]).to.include({ host: '198.51.100.10', port: Number(listening.port), fingerprint: String(listening.fingerprint), password: PASSWORD, via: 'mdns' });

    const peer = lan.node('cli', ['--import', 'tsx', MDNS_LISTENER, '4000']);
    // The advert heard in full (the service's records and the host's addresses) before the server goes.
    for (const type of ['TXT', 'SRV', 'A', 'AAAA']) await peer.waitForJson((record) => record.type === type, 3500);
    serverProcess.child.kill('SIGTERM');
    const heard = (await peer.exited).stdout.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as { name: string; type: string; ttl: number | null; data: unknown });
    const txt = heard.find((record) => record.type === 'TXT' && record.name.endsWith('._parlor._tcp.local'));
    expect(txt, JSON.stringify(heard)).to.exist;
    const fields = (txt!.data as string[]).join(' ');
    expect(fields).to.include(`fingerprint=${String(listening.fingerprint)}`).and.include(`password=${PASSWORD}`).and.include('protocol=1');
    const srv = heard.find((record) => record.type === 'SRV');
    expect(srv?.data).to.deep.include({ port: Number(listening.port), target: mdnsHostName() });
    // The target resolves: HOST.local has an A record with the server's address, and an AAAA one.
    expect(heard.some((record) => record.type === 'A' && record.name === mdnsHostName() && record.data === '198.51.100.10'), JSON.stringify(heard)).to.equal(true);
    expect(heard.some((record) => record.type === 'AAAA' && record.name === mdnsHostName()), JSON.stringify(heard)).to.equal(true);
    // Withdrawn on shutdown: a goodbye, the PTR again with TTL 0.
    expect(heard.some((record) => record.type === 'PTR' && record.name === '_parlor._tcp.local' && record.ttl === 0), JSON.stringify(heard)).to.equal(true);
  });

  it('avahi, running in the client\'s namespace, resolves the mDNS advert to the server\'s address and port (HOST.local with A records)', async function () {
    const lan = await newLan(this);
    const missing = await avahiUnavailable();
    if (missing !== undefined) skipOrFail(this, missing);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'], defaultRoute: '198.51.100.1' });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'], defaultRoute: '198.51.100.1' });
    const serverProcess = lan.parlor('srv', ['serve', '--json', '--ephemeral', '--password', PASSWORD, '--host', '0.0.0.0', '--port', '0', '--no-discovery']);
    const listening = await serverProcess.waitForJson((line) => line.event === 'listening', SERVER_START_MS);

    const { resolved, output } = await avahiResolve(lan, 'cli', '_parlor._tcp');
    expect(resolved, output).to.have.length.greaterThan(0);
    expect(resolved[0]).to.include({ interface: 'eth0', protocol: 'IPv4', type: '_parlor._tcp', host: mdnsHostName(), address: '198.51.100.10', port: Number(listening.port) });
    expect(resolved[0]!.txt).to.include(`fingerprint=${String(listening.fingerprint)}`);
    expect(output).not.to.include('Failed to resolve');
  });

  it('lists two servers on two hosts separately, each with its own fingerprint and address', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv1', { addresses: ['198.51.100.10/24'] });
    await lan.addHost('srv2', { addresses: ['198.51.100.11/24'] });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'] });
    const [one, two] = await Promise.all([startServer(lan, 'srv1'), startServer(lan, 'srv2')]);
    expect(one.fingerprint).not.to.equal(two.fingerprint);

    const { servers, stderr } = await discover(lan, 'cli');
    expect(servers, stderr).to.have.length(2);
    const byHost = new Map(servers.map((s) => [s.host, s]));
    expect(byHost.get('198.51.100.10')).to.include({ port: one.port, fingerprint: one.fingerprint });
    expect(byHost.get('198.51.100.11')).to.include({ port: two.port, fingerprint: two.fingerprint });
  });

  it('--private leaves the password out of the advert', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'] });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'] });
    const server = await startServer(lan, 'srv', ['--private']);
    expect(server.password).to.equal(PASSWORD);

    const { servers, stderr, stdout } = await discover(lan, 'cli');
    expect(servers, stderr).to.have.length(1);
    expect(servers[0]).to.include({ host: '198.51.100.10', port: server.port, fingerprint: server.fingerprint });
    expect(servers[0]).not.to.have.property('password');
    expect(stdout).not.to.include(PASSWORD);
  });

  it('a client logs in and sends with only what discovery found: host, port, password, fingerprint', async function () {
    const lan = await newLan(this);
    await lan.addHost('srv', { addresses: ['198.51.100.10/24'] });
    await lan.addHost('cli', { addresses: ['198.51.100.20/24'] });
    await startServer(lan, 'srv');

    const { servers, stderr } = await discover(lan, 'cli');
    expect(servers, stderr).to.have.length(1);
    const found = servers[0]!;
    expect(found.password).to.be.a('string');

    const sent = await lan.run(
      'cli',
      ['send', '--server', `${found.host}:${found.port}`, '--password', found.password!, '--fingerprint', found.fingerprint, '--name', 'ada', '--config', tempDir('lan-cfg'), 'hello'],
      CLIENT_RUN_MS,
    );
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.match(/^\d+\n$/);
    expect(Number(sent.stdout.trim())).to.be.greaterThan(0);
  });
});
