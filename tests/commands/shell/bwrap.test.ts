// The optional bwrap engine: the fallback to just-bash when bwrap is missing or fails (always run),
// and, where bwrap works (CI installs it and runs as root), escape attempts against real bash in
// it: uid nobody with no capabilities, no network, no host files, no writes to the real disk, no
// environment, and the deadline, process and output limits.

import { expect } from 'chai';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ShellSandbox, type ShellResult } from '../../../src/commands/shell/sandbox.ts';
import { skipOrFail } from '../../helpers/skip.ts';
import { tempDir } from '../../helpers/temp-dir.ts';
import {
  connectionWitness,
  PASSWD_TEXT,
  plantSecret,
  REPO,
  REPO_SECRET_TEXT,
  ticksDuring,
  untouchedDir,
  waitFor,
  type ConnectionWitness,
} from './witnesses.ts';

const SECRET_NAME = 'PARLOR_BWRAP_TEST_SECRET';

/** Pids of processes whose command line holds `mark` (this user can read /proc/PID/cmdline of all). */
function processesWith(mark: string): string[] {
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(mark);
    } catch {
      return false; // ended meanwhile
    }
  });
}

/** A stand-in for bwrap that knows its flags but cannot make a sandbox, as on a host without user namespaces. */
function brokenBwrap(): string {
  const dir = tempDir('parlor-fake-bwrap');
  chmodSync(dir, 0o755); // the trial run may run as nobody
  const path = join(dir, 'bwrap');
  writeFileSync(path, '#!/bin/sh\n[ "$1" = --help ] && { echo "--size --disable-userns --clearenv --die-with-parent --remount-ro"; exit 0; }\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n');
  chmodSync(path, 0o755);
  return path;
}

describe('!shell sandbox (bwrap): fallback to just-bash', () => {
  for (const [label, bwrapPath, reason] of [
    ['missing', () => '/nonexistent/bwrap', /ENOENT/],
    ['not bwrap at all', () => '/bin/false', /lacks --size/],
    ['failing its trial run', brokenBwrap, /trial run exited 1: bwrap: No permissions/],
  ] as const) {
    it(`falls back with a warning when bwrap is ${label}`, async () => {
      const warnings: string[] = [];
      const shell = await ShellSandbox.create({ engine: 'bwrap', bwrapPath: bwrapPath(), limits: { timeoutMs: 2000 }, onWarning: (message) => warnings.push(message) });
      try {
        expect(shell.engine).to.equal('just-bash');
        expect(warnings).to.have.length(1);
        expect(warnings[0]).to.match(/bwrap/).and.to.match(reason);
        expect(await shell.run('alice', 'echo fine')).to.include({ output: 'fine\n', engine: 'just-bash' });
      } finally {
        await shell.close();
      }
    });
  }
});

describe('!shell sandbox (bwrap): escape attempts', () => {
  let shell: ShellSandbox;
  let secret: string;
  let witness: ConnectionWitness;
  let run: (command: string, user?: string) => Promise<ShellResult>;

  before(async function () {
    const warnings: string[] = [];
    secret = plantSecret(SECRET_NAME);
    shell = await ShellSandbox.create({
      engine: 'bwrap',
      limits: { timeoutMs: 1500, maxOutputBytes: 4096, maxProcesses: 32 },
      onWarning: (message) => warnings.push(message),
    });
    if (shell.engine !== 'bwrap') {
      await shell.close();
      skipOrFail(this, `bubblewrap is not usable here (${warnings.join('; ')}); apt-get install bubblewrap`);
    }
    witness = await connectionWitness();
    run = (command, user = 'alice') => shell.run(user, command);
  });

  after(async () => {
    delete process.env[SECRET_NAME];
    await shell?.close();
    await witness?.close();
  });

  it('runs as uid nobody with no capabilities, in its own pid namespace', async () => {
    const { output, exitCode, engine } = await run('id -u; id -g; grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status; echo $$');
    expect(engine).to.equal('bwrap');
    expect(exitCode).to.equal(0);
    const lines = output.trim().split('\n');
    expect(lines.slice(0, 2)).to.deep.equal(['65534', '65534']);
    expect(lines.filter((line) => line.startsWith('Cap'))).to.have.length(5).and.to.satisfy((caps: string[]) => caps.every((line) => line.endsWith('0000000000000000')));
    const shellPid = Number(lines.at(-1));
    expect(shellPid).to.be.below(10); // its own pid namespace
  });

  it('reaches no network: /dev/tcp, and curl, wget, python3, perl where the host has them', async () => {
    const url = `http://127.0.0.1:${witness.port}/`;
    const { output } = await run(
      `exec 3<>/dev/tcp/127.0.0.1/${witness.port} && echo CONNECTED; ` +
        `command -v curl && curl -sS --max-time 1 ${url}; command -v wget && wget -q -T 1 -O- ${url}; ` +
        `command -v python3 && python3 -c "import socket; socket.create_connection(('127.0.0.1', ${witness.port}), 1)"; ` +
        `command -v perl && perl -MIO::Socket::INET -e 'IO::Socket::INET->new("127.0.0.1:${witness.port}") or die "no: $!\\n"'; ` +
        'cat /proc/net/dev; ip -brief address 2>/dev/null; true',
    );
    expect(output).not.to.include('CONNECTED');
    expect(output).not.to.include('reached');
    expect(output).not.to.match(/^\s*(eth|ens|enp|wl)\w*:/m); // only its own loopback exists
    expect(witness.connections(), 'connections that reached the witness').to.equal(0);
  });

  it('cannot read host files or see the environment', async () => {
    expect(process.env[SECRET_NAME]).to.equal(secret);
    const { output } = await run(
      `cat /etc/passwd /etc/shadow /root/.bashrc ${REPO}/package.json; ls ${REPO} /home /root /var; cat /proc/1/environ /proc/self/environ; ` +
        `env; printenv ${SECRET_NAME}; echo "[$${SECRET_NAME}]"; find / -xdev -name package.json 2>/dev/null | head`,
    );
    expect(output).not.to.include(PASSWD_TEXT);
    expect(output).not.to.include(REPO_SECRET_TEXT);
    expect(output).not.to.include(secret);
    expect(output).to.include('[]');
  });

  it('cannot write to the real disk, nor to its own unsized root and /dev', async () => {
    const witnessDir = untouchedDir();
    const repoMarker = join(REPO, 'tests', 'commands', 'shell', 'bwrap-escape-marker');
    const { output } = await run(
      `for path in /usr/bwrap-escape /usr/bin/bwrap-escape /etc/alternatives/bwrap-escape /bwrap-escape /dev/bwrap-escape /dev/shm/bwrap-escape ${witnessDir.dir}/a ${repoMarker}; do ` +
        'echo pwned > "$path" && echo "WROTE $path"; done; mkdir -p ' + witnessDir.dir + ' && echo pwned > ' + witnessDir.dir + '/b; true',
    );
    // Only the sized tmpfs mounts (the home and /tmp) take writes; the sandbox's own root and /dev do not.
    expect(output).not.to.match(/WROTE \/(usr|etc|dev|bwrap)/);
    witnessDir.expectUntouched(repoMarker, '/usr/bwrap-escape', '/usr/bin/bwrap-escape', '/etc/alternatives/bwrap-escape');
  });

  it('gives each run a fresh home of its own: nothing carries over to the next run or user', async () => {
    await run(`echo ${secret} > left-behind`, 'carol');
    const next = await run('cat left-behind; ls -la /home/user /tmp', 'dave');
    expect(next.output).not.to.include(secret);
    expect(next.output).not.to.include('left-behind\n');
  });

  it('kills an endless loop at the deadline while the event loop keeps turning; the next run works', async () => {
    const { result, ticks } = await ticksDuring(run('while :; do :; done'));
    expect(result).to.include({ timedOut: true });
    expect(ticks).to.be.greaterThan(0);
    expect(await run('echo next')).to.include({ output: 'next\n', exitCode: 0 });
  });

  it('survives a fork bomb, and leaves no process behind', async () => {
    const mark = `forkbomb${witness.port}`;
    const result = await run(`: ${mark}; exec 2>/dev/null; b() { b | b & }; b; sleep 5`);
    expect(result.timedOut).to.equal(true);
    await waitFor(() => processesWith(mark).length === 0);
    expect(await run('echo alive')).to.include({ output: 'alive\n' });
  });

  it('caps an output flood and kills it', async () => {
    const result = await run('yes; cat /dev/zero');
    expect(result.truncated).to.equal(true);
    expect(result.timedOut).to.equal(false); // killed at the cap, before the deadline
    expect(Buffer.byteLength(result.output)).to.be.at.most(4096);
  });

  it('limits file size and memory', async () => {
    const { output } = await run('head -c 10000000 /dev/zero > big; ls -l big; python3 -c "x = bytearray(10**9)" 2>&1 | tail -1; true');
    expect(output).to.match(/File size limit exceeded|No space left|file too large/i);
  });

  it('leaves nothing behind when the deadline falls while bwrap is still setting up', async () => {
    const hasty = await ShellSandbox.create({ engine: 'bwrap', limits: { timeoutMs: 3 } });
    try {
      expect(hasty.engine).to.equal('bwrap');
      const mark = `hastymark${witness.port}`;
      for (let attempt = 0; attempt < 8; attempt += 1) {
        expect(await hasty.run('alice', `sleep 30; : ${mark}`)).to.include({ timedOut: true });
      }
      await waitFor(() => processesWith(mark).length === 0);
    } finally {
      await hasty.close();
    }
  });

  it('close() kills runs in flight and nothing outlives it', async () => {
    const mark = `closemark${witness.port}`;
    const running = run(`sleep 30; : ${mark}`, 'erin').then(
      () => 'resolved',
      (error: unknown) => (error as { code?: string }).code,
    );
    await waitFor(() => processesWith(mark).length > 0);
    await shell.close();
    expect(await running).to.equal('COMMAND_FAILED');
    await waitFor(() => processesWith(mark).length === 0);
  });
});
