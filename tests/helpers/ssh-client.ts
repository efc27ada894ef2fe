// OpenSSH's own client against the SSH front door (`parlor serve --ssh`), as a person runs it: a
// fresh ed25519 key per visitor, a known_hosts file of the test's own, and the join password
// answered through SSH_ASKPASS (OpenSSH asks it for keyboard-interactive prompts too when
// SSH_ASKPASS_REQUIRE=force), or typed at the prompt under tmux.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './temp-dir.ts';

export function hasOpenSsh(): boolean {
  return spawnSync('ssh', ['-V'], { stdio: 'ignore' }).status === 0 && spawnSync('ssh-keygen', ['-?'], { stdio: 'ignore' }).status !== null;
}

export interface SshVisitor {
  dir: string;
  /** null: a guest, who offers no key. */
  keyFile: string | null;
  knownHosts: string;
}

export function sshVisitor(options: { withKey?: boolean } = {}): SshVisitor {
  const dir = tempDir('parlor-ssh-visitor');
  let keyFile: string | null = null;
  if (options.withKey !== false) {
    keyFile = join(dir, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
  }
  return { dir, keyFile, knownHosts: join(dir, 'known_hosts') };
}

/** The options every call shares: this visitor's key only, its own known_hosts, no agent. */
export function sshOptions(visitor: SshVisitor, port: number): string[] {
  return [
    '-p', String(port),
    '-F', '/dev/null',
    '-o', `UserKnownHostsFile=${visitor.knownHosts}`,
    '-o', 'StrictHostKeyChecking=accept-new',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'ConnectTimeout=10',
    ...(visitor.keyFile ? ['-i', visitor.keyFile] : ['-o', 'PubkeyAuthentication=no']),
    '-o', 'PreferredAuthentications=publickey,keyboard-interactive',
  ];
}

function askpass(visitor: SshVisitor, password: string): string {
  const file = join(visitor.dir, `askpass-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, `#!/bin/sh\nprintf '%s\\n' '${password.replace(/'/g, `'\\''`)}'\n`);
  chmodSync(file, 0o700);
  return file;
}

export interface SshRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs ssh to completion with `input` on its stdin; killed after `timeoutMs`. */
export function runSsh(visitor: SshVisitor, port: number, user: string, password: string, remote: string[], input = '', timeoutMs = 20_000): Promise<SshRun> {
  const child = spawn('ssh', [...sshOptions(visitor, port), '-T', `${user}@127.0.0.1`, ...(remote.length > 0 ? ['--', ...remote] : [])], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: visitor.dir, SSH_ASKPASS: askpass(visitor, password), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return collect(child, input, timeoutMs);
}

/** Starts ssh and returns it running (for `tail`-style sessions); the caller ends it. */
export function startSsh(visitor: SshVisitor, port: number, user: string, password: string, remote: string[]): ReturnType<typeof spawn> {
  return spawn('ssh', [...sshOptions(visitor, port), '-T', `${user}@127.0.0.1`, ...(remote.length > 0 ? ['--', ...remote] : [])], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: visitor.dir, SSH_ASKPASS: askpass(visitor, password), SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(child: ReturnType<typeof spawn>, input: string, timeoutMs: number): Promise<SshRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin!.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}
