// The server a benchmark measures: `parlor serve` as its own process (so that its CPU time can be
// read from /proc on its own), started by the one server-process helper the tests use too
// (tests/helpers/server-process.ts), with the bench's choices: pinned to a CPU, --ephemeral unless
// a data dir is given, and killed by bench/lib/children.ts if the bench ends first.

import { startServerProcess, type ServerProcess } from '../../tests/helpers/server-process.ts';
import { track } from './children.ts';
import { pinnedCommand } from './proc.ts';

export type { ServerProcess };

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
  const args = [...(options.dataDir === undefined ? ['--ephemeral'] : ['--data', options.dataDir]), '--name', 'parlor-bench', ...(options.serveArgs ?? [])];
  const server = await startServerProcess(args, options.startTimeoutMs ?? 15_000, undefined, {
    nodeArgs: [...extraNodeArgs, ...(options.nodeArgs ?? [])],
    ...(options.entry !== undefined && { entry: options.entry }),
    launch: (command, commandArgs) => pinnedCommand(options.cpu, command, commandArgs),
  });
  track(server.child);
  return {
    ...server,
    stop: async (signal, graceMs) => {
      const code = await server.stop(signal, graceMs);
      if (code !== 0 && server.child.signalCode === null && server.stderr().trim() !== '') process.stderr.write(`server stderr: ${server.stderr().trim()}\n`);
      return code;
    },
  };
}
