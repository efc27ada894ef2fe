// A real PostgreSQL for tests, from Debian's `postgresql` package: a cluster of its own in a temp
// dir, listening on 127.0.0.1 at a free port (and on a Unix socket in the same dir), trusting
// local connections. PostgreSQL refuses to run as root, so as root (CI) the cluster belongs to the
// `postgres` user that the package creates, and its tools run through runuser. Every cluster
// started here is stopped by the root hook (tests/hooks.test.ts), pass or fail.

import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { PostgresStore } from '../../src/store/postgres-store.ts';
import type { ChatStore } from '../../src/store/store.ts';
import { skipOrFail } from './skip.ts';
import { tempDir } from './temp-dir.ts';

export interface PostgresCluster {
  dir: string;
  port: number;
  /** postgres://postgres@127.0.0.1:PORT/postgres (the maintenance database; tests make their own) */
  url: string;
  /** A database of its own in this cluster (one per test that must start empty). */
  createDatabase(name: string): string;
  /** Stops the server (the data stays): `start` brings it back on the same port. */
  stop(mode?: 'fast' | 'immediate'): void;
  start(): void;
}

const running = new Set<PostgresCluster>();

/** The newest installed PostgreSQL's bin dir (Debian: /usr/lib/postgresql/N/bin), if any. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(root, versions[0], 'bin');
}

/** Why a PostgreSQL cluster cannot be made here, or undefined when it can. */
export function postgresMissing(): string | undefined {
  if (!postgresBinDir()) return 'PostgreSQL is not installed (Debian package postgresql: /usr/lib/postgresql/*/bin/initdb)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no postgres user to run PostgreSQL as';
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL tool as the user that may run it (postgres when we are root). */
function runTool(tool: string, args: string[]): void {
  const bin = join(postgresBinDir()!, tool);
  const [command, argv] = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout || result.error?.message}`);
}

export async function startPostgres(): Promise<PostgresCluster> {
  const dir = tempDir('cluster-pg');
  if (process.getuid?.() === 0) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString()), Number(execFileSync('id', ['-g', 'postgres']).toString()));
  const data = join(dir, 'data');
  runTool('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  // fsync off: the tests kill servers, not the machine. Small limits: the machine is shared.
  const settings = `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60 -c shared_buffers=16MB`;
  const start = () => runTool('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-o', settings, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate' = 'fast') => runTool('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
  start();
  const cluster: PostgresCluster = {
    dir,
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    createDatabase(name) {
      runTool('createdb', ['-h', dir, '-p', String(port), '-U', 'postgres', name]);
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop: (mode) => {
      stop(mode);
      running.delete(cluster);
    },
    start: () => {
      start();
      running.add(cluster);
    },
  };
  running.add(cluster);
  return cluster;
}

/** Stops every cluster still running (root hook): a failed test leaves no postgres behind. */
export function stopPostgresClusters(): void {
  shared = undefined;
  for (const cluster of [...running]) {
    try {
      cluster.stop('immediate');
    } catch {
      // Already gone: nothing to stop.
    }
  }
}

let shared: Promise<PostgresCluster> | undefined;
let databases = 0;

/** One cluster for the whole run (started at first use), stopped by the root hook. */
export function sharedPostgres(context: Mocha.Context): Promise<PostgresCluster> {
  const missing = postgresMissing();
  if (missing) skipOrFail(context, missing);
  shared ??= startPostgres();
  return shared;
}

/** A new, empty database in the shared cluster: its URL. */
export async function freshDatabase(context: Mocha.Context, label = 'parlor'): Promise<string> {
  const cluster = await sharedPostgres(context);
  return cluster.createDatabase(`${label}_${process.pid}_${++databases}`);
}

/** A PostgresStore on a new, empty database (the store contract tests). */
export async function openPostgresStore(context: Mocha.Context): Promise<ChatStore> {
  return PostgresStore.open(await freshDatabase(context, 'store'));
}

/** Skips (or fails, under PARLOR_STRICT) a test that needs PostgreSQL on a machine without it. */
export function skipOrFailPostgres(context: Mocha.Context): never {
  return skipOrFail(context, postgresMissing() ?? 'PostgreSQL is missing');
}
