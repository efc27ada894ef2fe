// The SSH front door with OpenSSH's real client on loopback: the host key is the server's identity,
// names bind to SSH keys, guests hold their name only while here, the join password is asked and
// checked, line mode and one-shot commands work for scripts, secret rooms refuse SSH visitors, and
// garbage on the SSH port leaves the chat alone.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import { connectChat, JOIN_PASSWORD, waitUntil } from '../helpers/chat-clients.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { hasOpenSsh, runSsh, sshVisitor, startSsh } from '../helpers/ssh-client.ts';

describe('the SSH front door (parlor serve --ssh) with OpenSSH', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let sshPort: number;
  const clients: ChatClient[] = [];

  before(function () {
    if (!hasOpenSsh()) skipOrFail(this, 'OpenSSH client (ssh, ssh-keygen: Debian openssh-client) not installed');
  });

  beforeEach(async () => {
    server = await startServerProcess(['--ephemeral', '--no-discovery', '--ssh', '--ssh-port', '0', '--password', JOIN_PASSWORD, '--operator-password', 'op-secret']);
    const listening = await server.waitForEvent((event) => event.event === 'listening');
    sshPort = listening.sshPort as number;
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('presents the server identity as its host key: known_hosts holds the fingerprint parlor prints', async () => {
    const ada = sshVisitor();
    const run = await runSsh(ada, sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'hello']);
    expect(run.code, run.stderr).to.equal(0);
    const listed = execFileSync('ssh-keygen', ['-lf', ada.knownHosts], { encoding: 'utf8' });
    expect(listed).to.include(server.fingerprint);
    expect(listed).to.include('ED25519');
  });

  it('posts what a script pipes in, one message a line, seen by a parlor client', async () => {
    const bob = await connectChat(server, await generateClientIdentity(), 'bob');
    clients.push(bob);
    await bob.join('lobby');
    const seen: string[] = [];
    bob.on('message', (message) => seen.push(`${message.from}: ${message.text}`));
    const run = await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, [], 'first line\nsecond line\n!echo only for ada\n');
    expect(run.code, run.stderr).to.equal(0);
    await waitUntil(() => seen.length >= 2, 'bob to see both lines', 10_000, () => seen.join('\n'));
    expect(seen).to.deep.equal(['ada: first line', 'ada: second line']);
    // The bot answers the caller alone: ada read it, bob saw nothing of it.
    expect(run.stdout).to.include('only for ada');
    expect(run.stdout).to.match(/<ada> first line/);
  });

  it('prints one event a line with `-- tail`, and `-- send` posts and exits 0', async () => {
    const watcher = startSsh(sshVisitor(), sshPort, 'cy', JOIN_PASSWORD, ['tail']);
    let out = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    try {
      await waitUntil(() => server.events.some((event) => event.event === 'login' && event.name === 'cy'), 'cy to log in over ssh');
      const sent = await runParlor(['send', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'dee', '--config', tempDir('dee'), 'hi <b>cy</b>']);
      expect(sent.code, sent.stderr).to.equal(0);
      const posted = await runSsh(sshVisitor(), sshPort, 'eve', JOIN_PASSWORD, ['send', '#lobby', 'from eve']);
      expect(posted.code, posted.stderr).to.equal(0);
      await waitUntil(() => out.includes('from eve'), 'the tail to print eve', 10_000, () => out);
      const lines = out.trim().split('\n').filter((line) => line.includes('<dee>') || line.includes('<eve>'));
      expect(lines).to.have.length(2);
      expect(lines[0]).to.match(/^\[\d\d:\d\d:\d\d\] #lobby <dee> hi <b>cy<\/b>$/);
    } finally {
      watcher.kill();
    }
  });

  it('declines a file offered to an SSH visitor at once, telling both sides why', async () => {
    const watcher = startSsh(sshVisitor(), sshPort, 'cy', JOIN_PASSWORD, ['tail']);
    let out = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    try {
      await waitUntil(() => server.events.some((event) => event.event === 'login' && event.name === 'cy'), 'cy to log in over ssh');
      const file = join(tempDir('offer'), 'notes.txt');
      writeFileSync(file, 'for cy');
      const sent = await runParlor(['sendfile', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'dee', '--config', tempDir('dee'), '--to', 'cy', file]);
      expect(sent.code).to.not.equal(0);
      expect(sent.stderr).to.match(/DECLINED/);
      await waitUntil(() => out.includes('cannot be received over ssh'), 'cy to be told', 10_000, () => out);
    } finally {
      watcher.kill();
    }
  });

  it('binds a name to its SSH key: another key, or a guest, cannot take it', async () => {
    const ada = sshVisitor();
    expect((await runSsh(ada, sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'mine'])).code).to.equal(0);
    const impostor = await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'me too']);
    expect(impostor.code).to.equal(1);
    expect(impostor.stderr).to.match(/NAME_RESERVED|NAME_TAKEN/);
    const guest = await runSsh(sshVisitor({ withKey: false }), sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'guest']);
    expect(guest.code).to.equal(1);
    expect(guest.stderr).to.match(/NAME_RESERVED|NAME_TAKEN/);
    // The right key still gets in.
    expect((await runSsh(ada, sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'still mine'])).code).to.equal(0);
  });

  it('lets a guest in without a key, and does not keep the name for it', async () => {
    const first = await runSsh(sshVisitor({ withKey: false }), sshPort, 'zed', JOIN_PASSWORD, ['send', '#lobby', 'a guest']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stderr).to.include('guest');
    // Gone: the name is free for anyone, a key holder included.
    const owner = await runSsh(sshVisitor(), sshPort, 'zed', JOIN_PASSWORD, ['send', '#lobby', 'zed for good']);
    expect(owner.code, owner.stderr).to.equal(0);
  });

  it('refuses a wrong join password', async () => {
    const run = await runSsh(sshVisitor(), sshPort, 'ada', 'not the password', ['send', '#lobby', 'x']);
    expect(run.code).to.equal(255);
    expect(run.stderr).to.include('Permission denied');
    expect(server.events.some((event) => event.event === 'login' && event.name === 'ada')).to.equal(false);
  });

  it('asks again after a wrong join password, and the right one then gets in', async () => {
    const run = await runSsh(sshVisitor(), sshPort, 'ida', ['typo', 'typo again', JOIN_PASSWORD], ['send', '#lobby', 'third time lucky']);
    expect([run.code, run.prompts], run.stderr).to.deep.equal([0, 3]);
    await waitUntil(() => server.events.some((event) => event.event === 'login' && event.name === 'ida'), 'ida to log in');
  });

  it('makes no identity for a key that did not get in (a wrong password, a name taken): nothing kept on disk', async () => {
    const dataDir = tempDir('parlor-ssh-disk');
    const kept = await startServerProcess(['--data', dataDir, '--no-discovery', '--no-mdns', '--ssh', '--ssh-port', '0', '--password', JOIN_PASSWORD]);
    try {
      const port = (await kept.waitForEvent((event) => event.event === 'listening')).sshPort as number;
      const visitorsDir = join(dataDir, 'ssh-visitors');
      const ada = sshVisitor();
      expect((await runSsh(ada, port, 'ada', 'not the password', ['send', '#lobby', 'x'])).code).to.equal(255);
      expect(readdirSync(visitorsDir), 'an identity was made for a wrong password').to.deep.equal([]);
      expect((await runSsh(ada, port, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'mine'])).code).to.equal(0);
      expect(readdirSync(visitorsDir)).to.have.length(1);
      const impostor = await runSsh(sshVisitor(), port, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'me too']);
      expect(impostor.stderr).to.match(/NAME_RESERVED|NAME_TAKEN/);
      expect(readdirSync(visitorsDir), 'the refused key left its identity behind').to.have.length(1);
      // ada's own identity stays: the name is still hers.
      expect((await runSsh(ada, port, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'still mine'])).code).to.equal(0);
    } finally {
      await kept.stop();
    }
  });

  it('slows a key that keeps guessing the join password, with the chat\'s own slow-down', async () => {
    const guesser = sshVisitor();
    // OpenSSH asks three times a connection. Three wrong passwords; then two more and, in the same
    // connection, the right one: it comes milliseconds after the fifth wrong one (5 go free, then
    // each attempt waits 1 s, 2 s ... after the last failure), so it is refused with RATE_LIMITED
    // however slow this machine is at starting ssh.
    const wrong = await runSsh(guesser, sshPort, 'mallory', 'guess', ['send', '#lobby', 'x']);
    expect([wrong.code, wrong.prompts]).to.deep.equal([255, 3]);
    const refused = await runSsh(guesser, sshPort, 'mallory', ['guess', 'guess', JOIN_PASSWORD], ['send', '#lobby', 'in at last']);
    expect([refused.code, refused.prompts], 'the right password, right after the fifth wrong one, is refused').to.deep.equal([255, 3]);
    // Then it gets in, once it has waited its turn.
    let admitted = refused;
    for (let attempt = 0; attempt < 20 && admitted.code !== 0; attempt++) admitted = await runSsh(guesser, sshPort, 'mallory', JOIN_PASSWORD, ['send', '#lobby', 'in at last']);
    expect(admitted.code, admitted.stderr).to.equal(0);
    // Someone else with the right password from the same address was never held up.
    expect((await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'hi'])).code).to.equal(0);
  });

  it('keeps SSH visitors out of secret rooms, saying why, and marks their keys as held by the server', async () => {
    const bob = await connectChat(server, await generateClientIdentity(), 'bob');
    clients.push(bob);
    await bob.create('vault', undefined, { secret: true });
    const run = await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, [], '/join vault\n');
    expect(run.stdout).to.include('E2E_REQUIRED');
    expect(run.stdout).to.include('connected over ssh');
    const whois = await bob.whois('ada');
    expect(whois.via).to.equal('ssh');
  });

  it('marks DMs with an SSH user as not end-to-end, "NAME is connected over ssh", in tail and tail --json, both ways', async () => {
    // ada over ssh, watching; bob a parlor client.
    const watcher = startSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, ['tail']);
    let adaSaw = '';
    watcher.stdout!.on('data', (chunk: Buffer) => (adaSaw += chunk.toString('utf8')));
    try {
      await waitUntil(() => server.events.some((event) => event.event === 'login' && event.name === 'ada'), 'ada to log in over ssh');
      const bobConfig = tempDir('bob');
      const toAda = await runParlor(['send', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'bob', '--config', bobConfig, '--to', 'ada', 'psst ada']);
      expect(toAda.code, toAda.stderr).to.equal(0);
      await waitUntil(() => adaSaw.includes('psst ada'), 'ada to get the DM', 10_000, () => adaSaw);
      const fromAda = await runSsh(sshVisitor(), sshPort, 'ada2', JOIN_PASSWORD, ['send', '@bob', 'hello bob']);
      expect(fromAda.code, fromAda.stderr).to.equal(0);
      const text = await runParlor(['tail', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'bob', '--config', bobConfig, '--count', '2', '--timeout', '10']);
      const json = await runParlor(['tail', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'bob', '--config', bobConfig, '--json', '--count', '2', '--timeout', '10']);
      expect(text.stdout).to.match(/you → ada \[NOT END-TO-END: ada is connected over ssh[^\]]*\]: psst ada/);
      expect(text.stdout).to.match(/ada2 → you \[NOT END-TO-END: ada2 is connected over ssh[^\]]*\]: hello bob/);
      const lines = json.stdout.trim().split('\n').map((line) => JSON.parse(line) as { text?: string; e2e?: { state: string; sshUser?: string } });
      expect(lines.find((line) => line.text === 'psst ada')?.e2e).to.deep.equal({ state: 'none', sshUser: 'ada' });
      expect(lines.find((line) => line.text === 'hello bob')?.e2e).to.deep.equal({ state: 'none', sshUser: 'ada2' });
    } finally {
      watcher.kill();
    }
  });

  it('puts the SSH port in the discovery advert, and discover shows it', async () => {
    const advertised = await startServerProcess(['--ephemeral', '--ssh', '--ssh-port', '0', '--discovery-port', '0', '--password', JOIN_PASSWORD]);
    const listening = await advertised.waitForEvent((event) => event.event === 'listening');
    const found = await runParlor(['discover', '--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(listening.discoveryPort), '--timeout', '1500', '--json']);
    const servers = found.stdout.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { fingerprint?: string; sshPort?: number });
    expect(servers.find((server) => server.fingerprint === advertised.fingerprint)?.sshPort).to.equal(listening.sshPort);
    const text = await runParlor(['discover', '--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(listening.discoveryPort), '--timeout', '1500']);
    expect(text.stdout).to.include(`ssh -p ${listening.sshPort as number}`);
  });

  it('survives garbage and half-open connections on the SSH port; the chat port still serves', async () => {
    const sockets = [];
    for (let i = 0; i < 20; i++) {
      const socket = connect(sshPort, '127.0.0.1');
      socket.on('error', () => {});
      if (i % 2 === 0) socket.write(Buffer.from(Array.from({ length: 2048 }, (_, j) => (i * 31 + j * 7) % 256)));
      else socket.write('SSH-2.0-garbage\r\n\x00\x00\x00\xff\xff');
      sockets.push(socket);
    }
    const bob = await connectChat(server, await generateClientIdentity(), 'bob');
    clients.push(bob);
    await bob.join('lobby');
    for (const socket of sockets) socket.destroy();
    const run = await runSsh(sshVisitor(), sshPort, 'ada', JOIN_PASSWORD, ['send', '#lobby', 'after the garbage']);
    expect(run.code, run.stderr).to.equal(0);
    expect(server.child.exitCode).to.equal(null);
  });
});

describe('the SSH front door\'s ciphers', () => {
  it('are ssh2\'s native ones, built by npm install (allowScripts in package.json)', function () {
    // Without its install script ssh2 runs every SSH packet's cipher in JavaScript, a new cipher
    // object per packet: about a tenth more of the server's CPU with 200 visitors (npm run bench -- ssh).
    const { bindingAvailable } = createRequire(import.meta.url)('ssh2/lib/protocol/crypto.js') as { bindingAvailable: boolean };
    if (!bindingAvailable) skipOrFail(this, 'ssh2\'s native ciphers are not built (npm install ran without its install script, or without a C++ compiler)');
    expect(bindingAvailable).to.equal(true);
  });
});
