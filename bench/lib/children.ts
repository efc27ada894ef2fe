// Child processes a benchmark started: each is killed by its pid if the bench exits or crashes
// without stopping it (an uncaught error, process.exit, Ctrl-C), so no server outlives a run.

import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let installed = false;

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function killLive(signal: NodeJS.Signals): void {
  for (const child of live) {
    if (!isRunning(child)) continue;
    try {
      process.kill(child.pid!, signal);
    } catch {
      // Already gone.
    }
  }
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => killLive('SIGKILL'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killLive('SIGKILL');
      process.exit(130);
    });
  }
}

/** Registers a child to be killed if this process ends first. */
export function track<T extends ChildProcess>(child: T): T {
  install();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Resolves when the child has exited; after timeoutMs, SIGKILLs it by pid and resolves on its exit. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (!isRunning(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (isRunning(child)) child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Sends a signal to a child by its pid, then waits (bounded) for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000): Promise<void> {
  if (!isRunning(child)) return;
  child.kill(signal);
  await waitForExit(child, timeoutMs);
}
