// `parlor serve` as a child process, as users run it: a crash shows as an exit, and its --json
// event lines are what the test reads. Every server started here is killed by pid after the test
// that started it, pass or fail (see the root hook in tests/hooks.ts).

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const PARLOR_BIN = fileURLToPath(new URL('../../bin/parlor.js', import.meta.url));

const running = new Set<ChildProcess>();

export interface ServerEventLine {
  event: string;
  [field: string]: unknown;
}

export interface ServerProcess {
  child: ChildProcess;
  host: string;
  port: number;
  fingerprint: string;
  events: ServerEventLine[];
  stderr(): string;
  /** Resolves with the first event (already seen or still to come) that matches. */
  waitForEvent(match: (event: ServerEventLine) => boolean, timeoutMs?: number): Promise<ServerEventLine>;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `bin` is the parlor binary to run: this checkout's unless a test installed another. */
export async function startServerProcess(args: string[], timeoutMs = 15_000, bin = PARLOR_BIN): Promise<ServerProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--host', '127.0.0.1', '--port', '0', '--json', '--no-mdns', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    resolve(code);
  }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const events: ServerEventLine[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      events.push(JSON.parse(line) as ServerEventLine);
    } catch {
      events.push({ event: 'unparsed', line });
    }
    for (const wake of waiters) wake();
  });

  const waitForEvent = (match: (event: ServerEventLine) => boolean, waitMs = timeoutMs) =>
    new Promise<ServerEventLine>((resolve, reject) => {
      const check = () => {
        const found = events.find(match);
        if (!found) return false;
        cleanup();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching server event within ${waitMs} ms; saw ${JSON.stringify(events.slice(-5))}; stderr: ${stderr}`));
      }, waitMs);
      const onExit = () => {
        if (!check()) {
          cleanup();
          reject(new Error(`the server exited; stderr: ${stderr}`));
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

  const listening = await waitForEvent((event) => event.event === 'listening');
  return {
    child,
    host: String(listening.host),
    port: Number(listening.port),
    fingerprint: String(listening.fingerprint),
    events,
    stderr: () => stderr,
    waitForEvent,
    exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
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
