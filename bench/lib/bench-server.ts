// A `parlor serve --json` child on 127.0.0.1, as a benchmark's system under test: its own process,
// so that its CPU time can be read from /proc on its own. Its stdout (one JSON line per event) is
// drained the whole time, so the pipe never fills and stalls the server, and each event is counted.

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { stopChild, track } from './children.ts';
import { REPO_ROOT } from './paths.ts';
import { pinnedCommand } from './proc.ts';

export interface ServerProcess {
  pid: number;
  host: string;
  port: number;
  fingerprint: string;
  /** The server's whole `listening` line (sshPort, discoveryPort, ...). */
  listening: Record<string, unknown>;
  /** How many of each event ("session", "disconnect", ...) the server has printed so far. */
  count(event: string): number;
  /** How many of an event's lines carried each `code` (disconnect reasons, refusals...). */
  codes(event: string): Record<string, number>;
  /** Resolves once count(event) ≥ n; rejects after timeoutMs. */
  waitForCount(event: string, n: number, timeoutMs: number): Promise<void>;
  /** SIGTERM, then SIGKILL if it has not exited within a few seconds. */
  stop(): Promise<void>;
}

interface Waiter {
  event: string;
  n: number;
  resolve: () => void;
}

export interface StartServerOptions {
  /** Pin the server to this CPU with taskset; undefined runs it unpinned. */
  cpu?: number;
  startTimeoutMs?: number;
  /** Extra node flags for the server, e.g. ['--cpu-prof'] when profiling by hand. */
  nodeArgs?: readonly string[];
  /**
   * Keep the server's identity and store (SQLite, the real default) in this directory; without
   * it the server runs --ephemeral (memory store, nothing on disk).
   */
  dataDir?: string;
  /** More `parlor serve` flags: --password, --rate, --history ... */
  serveArgs?: readonly string[];
  /** How node runs parlor: bin/parlor.js (the build in dist/) unless given, e.g. tsx on the sources. */
  entry?: readonly string[];
}

export async function startServer(options: StartServerOptions = {}): Promise<ServerProcess> {
  // PARLOR_BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const extraNodeArgs = (process.env.PARLOR_BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const [command, args] = pinnedCommand(options.cpu, process.execPath, [
    ...extraNodeArgs,
    ...(options.nodeArgs ?? []),
    ...(options.entry ?? [join(REPO_ROOT, 'bin', 'parlor.js')]),
    'serve',
    // Never mDNS from a bench: it would multicast on the host's real interfaces.
    '--no-mdns',
    '--host',
    '127.0.0.1',
    '--port',
    '0',
    ...(options.dataDir === undefined ? ['--ephemeral'] : ['--data', options.dataDir]),
    '--json',
    '--name',
    'parlor-bench',
    ...(options.serveArgs ?? []),
  ]);
  const child: ChildProcessByStdio<null, Readable, Readable> = track(
    spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }),
  );

  const counts = new Map<string, number>();
  const codes = new Map<string, Map<string, number>>();
  let waiters: Waiter[] = [];
  let stderrTail = '';
  let partial = '';
  let onListening: ((line: Record<string, unknown>) => void) | undefined;

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    stderrTail = (stderrTail + text).slice(-4000);
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue; // Not one of the server's event lines.
      }
      if (typeof parsed !== 'object' || parsed === null) continue;
      const record = parsed as Record<string, unknown>;
      const event = typeof record.event === 'string' ? record.event : '?';
      counts.set(event, (counts.get(event) ?? 0) + 1);
      if (typeof record.code === 'string') {
        let byCode = codes.get(event);
        if (!byCode) codes.set(event, (byCode = new Map()));
        byCode.set(record.code, (byCode.get(record.code) ?? 0) + 1);
      }
      if (event === 'listening') onListening?.(record);
    }
    if (waiters.length > 0) {
      const still: Waiter[] = [];
      for (const waiter of waiters) {
        if ((counts.get(waiter.event) ?? 0) >= waiter.n) waiter.resolve();
        else still.push(waiter);
      }
      waiters = still;
    }
  });

  const timeoutMs = options.startTimeoutMs ?? 15_000;
  const listening = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not report listening within ${timeoutMs} ms; stderr: ${stderrTail.trim()}`));
    }, timeoutMs);
    onListening = (line) => {
      clearTimeout(timer);
      resolve(line);
    };
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${signal ?? code}) before listening; stderr: ${stderrTail.trim()}`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
  onListening = undefined;

  const { host, port, fingerprint } = listening;
  if (typeof host !== 'string' || typeof port !== 'number' || typeof fingerprint !== 'string' || child.pid === undefined) {
    await stopChild(child, 'SIGKILL');
    throw new Error(`an unexpected listening line from the server: ${JSON.stringify(listening)}`);
  }
  const pid = child.pid;

  return {
    pid,
    host,
    port,
    fingerprint,
    listening,
    count: (event) => counts.get(event) ?? 0,
    codes: (event) => Object.fromEntries(codes.get(event) ?? []),
    waitForCount: (event, n, ms) => {
      if ((counts.get(event) ?? 0) >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((waiter) => waiter.resolve !== done);
          reject(new Error(`the server reported ${counts.get(event) ?? 0} "${event}" events, not ${n}, within ${ms} ms`));
        }, ms);
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ event, n, resolve: done });
      });
    },
    stop: async () => {
      await stopChild(child, 'SIGTERM', 5000);
      if (child.exitCode !== 0 && child.signalCode === null && stderrTail.trim() !== '') {
        process.stderr.write(`server stderr: ${stderrTail.trim()}\n`);
      }
    },
  };
}
