// The optional engine: real bash under bubblewrap. The sandbox sees the host's /usr read-only and
// nothing else of the host's files (no /etc but /etc/alternatives, which Debian's awk and friends
// resolve through; no /home, /root, /var or the server's own directory), gets fresh namespaces of
// every kind (so no network at all: its loopback is its own, and down), runs as uid nobody with no
// capabilities and no way to make further user namespaces, in a new session (no TIOCSTI into the
// server's terminal), dies with its parent, and starts with an empty environment. Its home and /tmp
// are tmpfs of maxDiskBytes each, new for every run: bwrap homes do not persist between commands.
//
// Resource limits come from bash's ulimit inside the sandbox: CPU seconds, address space, processes,
// file size and open files. When the server runs as root, bwrap itself runs as the real uid nobody
// (65534), so the process limit counts nobody's processes rather than root's, and a file the sandbox
// could somehow write would be nobody's.

import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { ParlorError } from '../../protocol/errors.ts';
import type { EngineOutcome, ShellEngine, ShellLimits } from './engine.ts';

const NOBODY = 65534;
const HOME = '/home/user';
const BASH = '/usr/bin/bash';
// Like just-bash's engine: keep raw output up to this multiple of the cap, since stripping control
// sequences can shrink it; past that the run is killed.
const RAW_OUTPUT_FACTOR = 4;
const REQUIRED_FLAGS = ['--size', '--disable-userns', '--clearenv', '--die-with-parent', '--remount-ro'];
const TRIAL_MARK = 'parlor-shell-ok';

/** The host's top-level system directories: merged-/usr symlinks are recreated, real ones bound read-only. */
function systemBinds(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const path = `/${name}`;
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
      else if (stat.isDirectory()) args.push('--ro-bind', path, path);
    } catch {
      // absent on this host
    }
  }
  args.push('--ro-bind-try', '/etc/alternatives', '/etc/alternatives');
  return args;
}

/** State and parent pid of a process from /proc/PID/stat, or undefined once it is gone. */
function processStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold spaces
    return { state: fields[0] ?? '', ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((candidate) => processStat(candidate)?.ppid === pid);
}

/**
 * Ends a bwrap run and everything in it. Killing only the bwrap we started is not enough: killed
 * while it is still setting up, it leaves its child (the sandbox's pid 1) waiting forever for a
 * uid map, holding our pipes. So: stop bwrap (a stopped process cannot fork), kill its child, whose
 * death as pid 1 ends every process in the sandbox's pid namespace, then let bwrap go on to reap it
 * and exit. Children of a stopped, unreaped parent keep their pids, so no stranger is signalled.
 */
async function endSandbox(child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(pid, 'SIGSTOP');
  } catch {
    return; // already gone
  }
  for (let waited = 0; waited < 200 && !/^[TtZX]$/.test(processStat(pid)?.state ?? 'X'); waited += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  const inner = childrenOf(pid);
  if (inner.length === 0) {
    child.kill('SIGKILL'); // it had not made the sandbox yet, and now never will
    return;
  }
  for (const innerPid of inner) {
    try {
      process.kill(innerPid, 'SIGKILL');
    } catch {
      // died by itself meanwhile: a zombie until bwrap reaps it
    }
  }
  try {
    process.kill(pid, 'SIGCONT');
  } catch {
    return;
  }
  // bwrap exits by itself once its child is dead; this is only in case it does not.
  setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }, 1000).unref();
}

function collect(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
}

export class BwrapEngine implements ShellEngine {
  readonly name = 'bwrap';
  private readonly inFlight = new Map<ChildProcess, () => void>();

  constructor(private readonly limits: ShellLimits, private readonly bwrapPath: string) {}

  /** Undefined when bwrap is usable here; otherwise why not. */
  async trial(): Promise<string | undefined> {
    try {
      const help = spawn(this.bwrapPath, ['--help'], { env: {}, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      help.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
      help.stderr?.resume();
      await collect(help);
      const missing = REQUIRED_FLAGS.filter((flag) => !text.includes(flag));
      if (missing.length > 0) return `${this.bwrapPath} lacks ${missing.join(', ')}`;
      const outcome = await this.execute(`echo ${TRIAL_MARK}`, Math.max(this.limits.timeoutMs, 5000));
      if (outcome.exitCode !== 0 || outcome.output !== `${TRIAL_MARK}\n`) {
        return `a trial run exited ${outcome.exitCode}${outcome.timedOut ? ' (timed out)' : ''}: ${outcome.output.trim().slice(0, 200)}`;
      }
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  run(_userKey: string, command: string): Promise<EngineOutcome> {
    return this.execute(command, this.limits.timeoutMs);
  }

  private arguments(command: string): string[] {
    const { maxDiskBytes, memoryMb, timeoutMs, maxProcesses } = this.limits;
    const ulimits = [
      `-t ${Math.ceil(timeoutMs / 1000)}`,
      `-v ${memoryMb * 1024}`,
      `-u ${maxProcesses}`,
      `-f ${Math.ceil(maxDiskBytes / 1024)}`, // bash counts -f in 1024-byte blocks
      '-n 64',
      '-c 0',
    ].join(' ');
    return [
      '--unshare-all', '--unshare-user', '--disable-userns',
      '--uid', String(NOBODY), '--gid', String(NOBODY),
      '--cap-drop', 'ALL', '--new-session', '--die-with-parent',
      '--hostname', 'sandbox',
      '--clearenv', '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', HOME, '--setenv', 'LANG', 'C.UTF-8',
      ...systemBinds(),
      '--proc', '/proc', '--dev', '/dev',
      '--size', String(maxDiskBytes), '--tmpfs', '/tmp',
      '--size', String(maxDiskBytes), '--tmpfs', HOME,
      // The root and /dev are bwrap's own tmpfs with no size: read-only, so that only the sized ones
      // take writes (device nodes such as /dev/null are mounts of their own and still work).
      '--remount-ro', '/dev', '--remount-ro', '/',
      '--chdir', HOME,
      '--', BASH, '-c', `ulimit ${ulimits} || exit 125; exec ${BASH} -c "$1"`, 'shell', command,
    ];
  }

  private execute(command: string, timeoutMs: number): Promise<EngineOutcome> {
    const asRoot = process.getuid?.() === 0;
    const child = spawn(this.bwrapPath, this.arguments(command), {
      env: {},
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    const chunks: Buffer[] = [];
    let bytes = 0;
    let truncated = false;
    let timedOut = false;
    const rawCap = this.limits.maxOutputBytes * RAW_OUTPUT_FACTOR;
    const take = (chunk: Buffer): void => {
      if (truncated) return;
      const room = rawCap - bytes;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        truncated = true;
        endSandbox(child).catch(() => child.kill('SIGKILL')); // a flood: no reason to let it run on to the deadline
        return;
      }
      chunks.push(chunk);
      bytes += chunk.length;
    };
    child.stdout?.on('data', take);
    child.stderr?.on('data', take);

    return new Promise<EngineOutcome>((resolve, reject) => {
      let closedBySandbox = false;
      const deadline = setTimeout(() => {
        timedOut = true;
        endSandbox(child).catch(() => child.kill('SIGKILL'));
      }, timeoutMs);
      this.inFlight.set(child, () => {
        closedBySandbox = true;
        endSandbox(child).catch(() => child.kill('SIGKILL'));
      });
      collect(child).then(
        ({ code, signal }) => {
          clearTimeout(deadline);
          this.inFlight.delete(child);
          if (closedBySandbox) return reject(new ParlorError('COMMAND_FAILED', 'the shell sandbox closed'));
          const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
          resolve({ output: Buffer.concat(chunks).toString('utf8'), exitCode, truncated, timedOut });
        },
        (error: unknown) => {
          clearTimeout(deadline);
          this.inFlight.delete(child);
          reject(new ParlorError('COMMAND_FAILED', `bwrap could not start: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
        },
      );
    });
  }

  async close(): Promise<void> {
    const children = [...this.inFlight.keys()];
    for (const end of [...this.inFlight.values()]) end();
    await Promise.all(children.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : collect(child).catch(() => undefined))));
  }
}
