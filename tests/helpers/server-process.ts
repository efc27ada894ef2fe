// `parlor serve` as a child process, as users run it, for the tests and the benchmarks alike (one
// module for both, as temp-dir.ts): a crash shows as an exit, and its --json event lines are what
// the caller reads, kept and counted. Its stdout is drained the whole time, so the pipe never fills
// and stalls the server. Every server started here is killed by pid after the test that started it,
// pass or fail (the root hook in tests/hooks.test.ts), and at the latest when this process exits;
// a bench also hands it to bench/lib/children.ts, which kills it on Ctrl-C.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const PARLOR_BIN = fileURLToPath(new URL('../../bin/parlor.js', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

type ServerChild = ChildProcessByStdio<null, Readable, Readable>;

const running = new Set<ServerChild>();
let exitHookInstalled = false;

export interface ServerEventLine {
  event: string;
  [field: string]: unknown;
}

export interface ServerProcess {
  child: ServerChild;
  pid: number;
  host: string;
  port: number;
  fingerprint: string;
  /** The server's whole `listening` line (sshPort, discoveryPort, ...). */
  listening: ServerEventLine;
  events: ServerEventLine[];
  /** The last 64 KiB the server wrote to stderr. */
  stderr(): string;
  /** How many of each event ("session", "disconnect", ...) the server has printed so far. */
  count(event: string): number;
  /** How many of an event's lines carried each `code` (disconnect reasons, refusals...). */
  codes(event: string): Record<string, number>;
  /** Resolves with the first event (already seen or still to come) that matches. */
  waitForEvent(match: (event: ServerEventLine) => boolean, timeoutMs?: number): Promise<ServerEventLine>;
  /** Resolves once count(event) ≥ n. */
  waitForCount(event: string, n: number, timeoutMs: number): Promise<void>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  /** Sends `signal` (SIGKILL after graceMs if it is still running), and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

export interface ServerProcessOptions {
  timeoutMs?: number;
  /** What node runs after its own flags: this checkout's bin/parlor.js unless given (another install, tsx on the sources). */
  entry?: readonly string[];
  /** Node flags for the server, e.g. ['--cpu-prof']. */
  nodeArgs?: readonly string[];
  /** Wraps the command line, e.g. in taskset to pin the server to a CPU. */
  launch?: (command: string, args: string[]) => [string, string[]];
}

/**
 * `parlor serve --host 127.0.0.1 --port 0 --json --no-mdns ARGS` (never mDNS from a test or bench:
 * it would multicast on the host's real interfaces); resolves once it says it is listening.
 * `bin` is the parlor binary to run: this checkout's unless a test installed another.
 */
export async function startServerProcess(args: readonly string[], timeoutMs = 15_000, bin = PARLOR_BIN, options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const argv = [...(options.nodeArgs ?? []), ...(options.entry ?? [bin]), 'serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-mdns', ...args];
  const [command, commandArgs] = options.launch ? options.launch(process.execPath, argv) : [process.execPath, argv];
  const child: ServerChild = spawn(command, commandArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const server of running) server.kill('SIGKILL');
    });
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-64 * 1024)));
  const events: ServerEventLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as ServerEventLine);
    } catch {
      events.push({ event: 'unparsed', line });
    }
    for (const wake of waiters) wake();
  });

  const waitFor = <T>(found: () => T | undefined, waitMs: number, what: () => string) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = found();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`${what()} within ${waitMs} ms; saw ${JSON.stringify(events.slice(-5))}; stderr: ${stderr}`));
      }, waitMs);
      const onExit = () => {
        if (!check()) {
          cleanup();
          reject(new Error(`the server exited (${child.signalCode ?? child.exitCode}); stderr: ${stderr}`));
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(wake);
        child.off('exit', onExit);
      };
      const wake = () => void check();
      if (check()) return;
      waiters.add(wake);
      child.once('exit', onExit);
    });
  const count = (event: string) => events.reduce((n, line) => (line.event === event ? n + 1 : n), 0);
  const waitForEvent = (match: (event: ServerEventLine) => boolean, waitMs = timeoutMs) => waitFor(() => events.find(match), waitMs, () => 'no matching server event');
  const waitForCount = (event: string, n: number, waitMs: number) =>
    waitFor(() => (count(event) >= n ? true : undefined), waitMs, () => `the server reported ${count(event)} "${event}" events, not ${n},`).then(() => undefined);

  let listening: ServerEventLine;
  try {
    listening = await waitForEvent((event) => event.event === 'listening');
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    pid: child.pid!,
    host: String(listening.host),
    port: Number(listening.port),
    fingerprint: String(listening.fingerprint),
    listening,
    events,
    stderr: () => stderr,
    count,
    codes: (event) => {
      const byCode: Record<string, number> = {};
      for (const line of events) if (line.event === event && typeof line.code === 'string') byCode[line.code] = (byCode[line.code] ?? 0) + 1;
      return byCode;
    },
    waitForEvent,
    waitForCount,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000) => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      return exited;
    },
  };
}

/** Kills every server child still running: called after each test, whatever its outcome. */
export async function killServerProcesses(): Promise<void> {
  const children = [...running];
  for (const child of children) child.kill('SIGKILL');
  await Promise.all(children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
}
