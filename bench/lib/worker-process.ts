// Load-generator child processes and their IPC, both sides: the bench starts a worker script
// (pinned with taskset when asked) and calls it one message at a time; the worker answers each
// call with one message, or with {type: 'error'} which rejects the call. A worker exits when told,
// or as soon as its IPC channel closes (the bench died), and bench/lib/children.ts kills it by pid
// if the bench exits first.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { stopChild, track, waitForExit } from './children.ts';
import { REPO_ROOT } from './paths.ts';
import { pinnedCommand } from './proc.ts';
import { widenHeapGrowth } from '../../src/heap-growth.ts';

export interface WorkerError {
  type: 'error';
  message: string;
}

export class WorkerProcess<To extends { type: string }, From extends { type: string }> {
  private waiting: { resolve: (message: From) => void; reject: (error: Error) => void } | undefined;
  private exited: Error | undefined;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.on('message', (message: From | WorkerError) => {
      const waiting = this.waiting;
      this.waiting = undefined;
      if (message.type === 'error') waiting?.reject(new Error(`${name} failed: ${(message as WorkerError).message}`));
      else waiting?.resolve(message as From);
    });
    child.once('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? code})`);
      this.waiting?.reject(this.exited);
      this.waiting = undefined;
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one message and resolves with the worker's answer, bounded by timeoutMs. */
  call(message: To, timeoutMs: number): Promise<From> {
    if (this.exited) return Promise.reject(this.exited);
    if (this.waiting) return Promise.reject(new Error(`${this.name} is still busy with another call`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new Error(`${this.name} did not answer "${message.type}" within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting = {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.child.send(message);
    });
  }

  /** Asks the worker to exit; SIGKILLs it by pid if it has not within timeoutMs. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.child.connected) {
      this.child.send({ type: 'exit' });
      await waitForExit(this.child, timeoutMs);
    } else {
      await stopChild(this.child, 'SIGKILL', timeoutMs);
    }
  }
}

/** Starts bench/workers/SCRIPT as a child with an IPC channel, pinned to `cpu` when given. */
export function startWorker<To extends { type: string }, From extends { type: string }>(
  name: string,
  script: string,
  cpu: number | undefined,
): WorkerProcess<To, From> {
  // PARLOR_BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the workers.
  const extraNodeArgs = (process.env.PARLOR_BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const [command, args] = pinnedCommand(cpu, process.execPath, [...extraNodeArgs, '--import', 'tsx', join(REPO_ROOT, 'bench', 'workers', script)]);
  return new WorkerProcess<To, From>(name, track(spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })));
}

/**
 * The worker's side: runs `handle` for each message from the bench and sends back what it
 * returns; a throw is sent as {type: 'error'}. {type: 'exit'} ends the process.
 */
export function serveWorker<To extends { type: string }, From extends { type: string }>(
  script: string,
  handle: (message: To) => Promise<From>,
): void {
  // A worker stands for a parlor process (a client on its own machine): same heap settings.
  widenHeapGrowth();
  if (!process.send) {
    process.stderr.write(`${script} is started by a benchmark, not by hand\n`);
    process.exit(2);
  }
  const send = (message: From | WorkerError): void => {
    process.send?.(message);
  };
  process.on('message', (message: To) => {
    if (message.type === 'exit') {
      process.disconnect?.();
      process.exit(0);
    }
    handle(message).then(send, (error: unknown) => {
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    });
  });
  // If the bench dies, the IPC channel closes: go too, rather than linger.
  process.on('disconnect', () => process.exit(0));
}
