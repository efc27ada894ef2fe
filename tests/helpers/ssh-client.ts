// OpenSSH's own client against the SSH front door (`parlor serve --ssh`), as a person runs it: a
// fresh ed25519 key per visitor, a known_hosts file of the test's own, and the join password
// answered through SSH_ASKPASS (OpenSSH asks it for keyboard-interactive prompts too when
// SSH_ASKPASS_REQUIRE=force), or typed at the prompt under tmux.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
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

/**
 * The askpass program: OpenSSH runs it once per prompt. Several passwords are answered one per
 * prompt, in order (the last one again after that), so that a test can give a wrong one and then
 * the right one within one connection, a few milliseconds apart, instead of across two processes.
 */
function askpass(visitor: SshVisitor, password: Password): { file: string; counter: string } {
  const name = `askpass-${Math.random().toString(36).slice(2)}`;
  const file = join(visitor.dir, name);
  const counterFile = join(visitor.dir, `${name}.count`);
  const answers = typeof password === 'string' ? [password] : password;
  if (answers.length === 0) throw new Error('askpass needs at least one password');
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  const cases = answers.map((answer, i) => `  ${i === answers.length - 1 ? '*' : String(i)}) printf '%s\\n' ${quote(answer)} ;;`).join('\n');
  const counter = quote(counterFile);
  writeFileSync(file, `#!/bin/sh\nn=$(cat ${counter} 2>/dev/null || echo 0)\necho $((n + 1)) > ${counter}\ncase $n in\n${cases}\nesac\n`);
  chmodSync(file, 0o700);
  return { file, counter: counterFile };
}

/** One join password for every prompt, or one per prompt in order (OpenSSH then asks that many times). */
type Password = string | readonly string[];

/** ssh's options for this password: as many prompts as there are answers (OpenSSH's default is 3). */
function promptOptions(password: Password): string[] {
  return typeof password === 'string' ? [] : ['-o', `NumberOfPasswordPrompts=${password.length}`];
}

export interface SshRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** How many times OpenSSH asked for the join password. */
  prompts: number;
}

/** Runs ssh to completion with `input` on its stdin; killed after `timeoutMs`. */
export function runSsh(visitor: SshVisitor, port: number, user: string, password: Password, remote: string[], input = '', timeoutMs = 20_000): Promise<SshRun> {
  const asker = askpass(visitor, password);
  const child = spawnSsh(visitor, port, user, password, remote, asker.file);
  return collect(child, input, timeoutMs, asker.counter);
}

/** Starts ssh and returns it running (for `tail`-style sessions); the caller ends it. */
export function startSsh(visitor: SshVisitor, port: number, user: string, password: Password, remote: string[]): ReturnType<typeof spawn> {
  return spawnSsh(visitor, port, user, password, remote, askpass(visitor, password).file);
}

function spawnSsh(visitor: SshVisitor, port: number, user: string, password: Password, remote: string[], askpassFile: string): ReturnType<typeof spawn> {
  return spawn('ssh', [...sshOptions(visitor, port), ...promptOptions(password), '-T', `${user}@127.0.0.1`, ...(remote.length > 0 ? ['--', ...remote] : [])], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: visitor.dir, SSH_ASKPASS: askpassFile, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

function collect(child: ReturnType<typeof spawn>, input: string, timeoutMs: number, promptCounter: string): Promise<SshRun> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin!.end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, prompts: existsSync(promptCounter) ? Number(readFileSync(promptCounter, 'utf8')) : 0 });
    }),
  );
}
