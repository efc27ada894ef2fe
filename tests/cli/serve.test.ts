// `parlor serve` and `parlor ping` as users and scripts run them: child processes, real sockets.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARLOR_BIN, startServerProcess } from '../helpers/server-process.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const parlor = runParlor;

describe('cli: parlor serve and parlor ping', () => {
  it('prints {"event":"listening",...} first with --json, and stops cleanly on SIGTERM', async () => {
    const data = tempDir('serve');
    const server = await startServerProcess(['--data', data, '--name', 'the parlor']);
    const first = server.events[0]!;
    expect(first).to.include({ event: 'listening', host: '127.0.0.1', name: 'the parlor', ephemeral: false, dataDir: data });
    expect(first.port).to.be.a('number').and.greaterThan(0);
    expect(String(first.fingerprint)).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(await server.stop('SIGTERM')).to.equal(0);
    expect(server.events.map((e) => e.event).slice(-2)).to.deep.equal(['stopping', 'stopped']);
  });

  it('keeps its identity in --data across restarts', async () => {
    const data = tempDir('serve');
    const first = await startServerProcess(['--data', data]);
    await first.stop();
    const second = await startServerProcess(['--data', data]);
    expect(second.fingerprint).to.equal(first.fingerprint);
    await second.stop();
  });

  it('writes nothing with --ephemeral, and has a new identity each start', async () => {
    const home = tempDir('home');
    const env = { XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config') };
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const child = spawn(process.execPath, [PARLOR_BIN, 'serve', '--ephemeral', '--json', '--no-mdns', '--host', '127.0.0.1', '--port', '0'], { env: { ...process.env, ...env } });
      const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]!)));
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      runs.push(JSON.parse(line) as { fingerprint: string; dataDir: unknown });
    }
    expect(runs[0]!.dataDir).to.equal(null);
    expect(runs[0]!.fingerprint).not.to.equal(runs[1]!.fingerprint);
    expect(readdirSync(home)).to.deep.equal([]);
  });

  it('uses $XDG_DATA_HOME/parlor when no --data is given', async () => {
    const home = tempDir('home');
    const child = spawn(process.execPath, [PARLOR_BIN, 'serve', '--json', '--no-mdns', '--host', '127.0.0.1', '--port', '0'], {
      env: { ...process.env, XDG_DATA_HOME: join(home, 'data') },
    });
    const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().split('\n')[0]!)));
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(JSON.parse(line)).to.have.property('dataDir', join(home, 'data', 'parlor'));
    expect(existsSync(join(home, 'data', 'parlor', 'server_ed25519.pem'))).to.equal(true);
  });

  it('refuses a bad option with exit 2 and the code on stderr', async () => {
    const badPort = await parlor(['serve', '--port', '99999', '--ephemeral', '--no-mdns']);
    expect(badPort.code).to.equal(2);
    expect(badPort.stderr).to.match(/^parlor: BAD_OPTION: port/);
    const notNumber = await parlor(['serve', '--port', 'seven', '--no-mdns']);
    expect(notNumber.code).to.equal(2);
    expect(notNumber.stderr).to.include('BAD_OPTION');
  });

  it('lists every flag with its default in --help, and the README documents each one', async () => {
    const help = await parlor(['serve', '--help']);
    expect(help.code).to.equal(0);
    const flags = [...new Set(help.stdout.match(/--[a-z][a-z-]+/g))].filter((flag) => flag !== '--help');
    // Flags from the options table (src/options.ts) and serve's own --json, with the schema's defaults.
    expect(flags).to.include.members(['--port', '--no-mdns', '--disable-command', '--name-reservation-days', '--json']);
    expect(help.stdout.replace(/\s+/g, ' ')).to.include('--max-outbound-bytes <n> bytes that may wait for a slow reader before it is dropped (default: 8 MiB)');
    expect(help.stdout.replace(/\s+/g, ' ')).to.include('(default: 30)');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const undocumented = flags.filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(readme));
    expect(undocumented, 'parlor serve flags missing from README.md').to.deep.equal([]);
  });

  it('pings a server, then refuses it with SERVER_KEY_CHANGED (exit 1) once its key changed', async () => {
    const config = tempDir('config');
    const first = await startServerProcess(['--ephemeral']);
    const ok = await parlor(['ping', '--server', `127.0.0.1:${first.port}`, '--config', config, '--json', '--count', '1']);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(JSON.parse(ok.stdout)).to.include({ fingerprint: first.fingerprint, trust: 'new' });
    await first.stop();
    const second = await startServerProcess(['--ephemeral', '--port', String(first.port)]);
    const refused = await parlor(['ping', '--server', `127.0.0.1:${first.port}`, '--config', config]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.include('parlor: SERVER_KEY_CHANGED').and.include(second.fingerprint);
    const accepted = await parlor(['ping', '--server', `127.0.0.1:${first.port}`, '--config', config, '--accept-new-key']);
    expect(accepted.code, accepted.stderr).to.equal(0);
    expect(accepted.stdout).to.include('CHANGED, accepted');
  });

  it('pins by address: two servers named alike on two ports are both new, then both known', async () => {
    const config = tempDir('config');
    const servers = [await startServerProcess(['--ephemeral', '--name', 'vm']), await startServerProcess(['--ephemeral', '--name', 'vm'])];
    const trustOf = async (port: number) => {
      const result = await parlor(['ping', '--server', `127.0.0.1:${port}`, '--config', config, '--json', '--count', '1']);
      expect(result.code, result.stderr).to.equal(0);
      return (JSON.parse(result.stdout) as { trust: string }).trust;
    };
    expect([await trustOf(servers[0]!.port), await trustOf(servers[1]!.port)]).to.deep.equal(['new', 'new']);
    expect([await trustOf(servers[0]!.port), await trustOf(servers[1]!.port)]).to.deep.equal(['known', 'known']);
  });

  it('calls a known key on a new port known (moved from OLD), and --forget removes it everywhere in one step', async () => {
    const config = tempDir('config');
    const data = tempDir('serve');
    const first = await startServerProcess(['--data', data]);
    const before = await parlor(['ping', '--server', `127.0.0.1:${first.port}`, '--config', config, '--count', '1']);
    expect(before.stdout, before.stderr).to.include('(new: remembered from now on)');
    await first.stop();
    const moved = await startServerProcess(['--data', data]);
    const after = await parlor(['ping', '--server', `127.0.0.1:${moved.port}`, '--config', config, '--count', '1']);
    expect(after.code, after.stderr).to.equal(0);
    expect(after.stdout).to.include(`(known (moved from 127.0.0.1:${first.port}))`);

    const forgot = await parlor(['ping', '--forget', `127.0.0.1:${moved.port}`, '--config', config, '--json']);
    expect(forgot.code, forgot.stderr).to.equal(0);
    expect((JSON.parse(forgot.stdout) as { removed: string[] }).removed).to.have.length(2);
    const again = await parlor(['ping', '--server', `127.0.0.1:${moved.port}`, '--config', config, '--json', '--count', '1']);
    expect(JSON.parse(again.stdout)).to.include({ trust: 'new' }).and.not.have.property('movedFrom');
    const nothing = await parlor(['ping', '--forget', `127.0.0.1:${first.port}`, '--config', config]);
    expect(nothing.stdout).to.include('nothing to forget');
  });

  it('says ADDRESS_IN_USE, and what to do, for a port that is taken (exit 1)', async () => {
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      const result = await parlor(['serve', '--host', '127.0.0.1', '--port', String(port), '--ephemeral', '--no-mdns', '--no-discovery']);
      expect(result.code).to.equal(1);
      expect(result.stderr).to.match(/^parlor: ADDRESS_IN_USE: port \d+ on 127\.0\.0\.1 \(127\.0\.0\.1:\d+\) is already in use/);
      expect(result.stderr).to.include(`port ${port}`).and.include('another parlor').and.include('--port');
      expect(result.stderr).not.to.include('INTERNAL');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('says BAD_ADDRESS for a server that is not HOST:PORT', async () => {
    const result = await parlor(['ping', '--server', 'a b:c', '--config', tempDir('config')]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include('parlor: BAD_ADDRESS');
  });

  it('has --help for every command', async () => {
    for (const command of [[], ['serve'], ['ping']]) {
      const result = await parlor([...command, '--help']);
      expect(result.code).to.equal(0);
      expect(result.stdout).to.include('Usage: parlor');
    }
  });

  it('maps no libvips while idle: sharp loads at the first picture (!meow), not at start', async () => {
    const server = await startServerProcess(['--ephemeral', '--password', 'pw']);
    const libvipsMapped = () => /libvips/.test(readFileSync(`/proc/${server.child.pid}/maps`, 'utf8'));
    expect(libvipsMapped(), 'libvips mapped by an idle server').to.equal(false);
    const meow = await parlor(['send', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'ada', '--config', tempDir('cfg'), '--data', tempDir('data'), '--fingerprint', server.fingerprint, '!meow']);
    expect(meow.code, meow.stderr).to.equal(0);
    expect(libvipsMapped(), 'libvips mapped once a picture was made').to.equal(true);
    await server.stop();
  });
});
