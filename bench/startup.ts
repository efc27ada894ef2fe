// Benchmark "startup": what a start of `parlor` costs, as a script that calls it in a loop pays.
// Three figures, each for the build (node bin/parlor.js, running the bundle dist/bundle/) and,
// beside it, for tsc's dist/ unbundled (node dist/cli/main.js) and for the same sources run
// through tsx (node --import tsx src/cli/main.ts), so each gain stays visible:
//   - `parlor --version`: the whole process, spawn to exit;
//   - `parlor send` to a server on 127.0.0.1 (a build of `parlor serve --ephemeral`, started
//     once): the whole process, spawn to exit, with a handshake, a login and one stored message;
//     each variant has its own config dir whose identity was made by an untimed first send;
//   - an idle `parlor serve --ephemeral` (no mDNS, its beacon on a free port): VmRSS one second
//     after it listened, and whether libvips (sharp) is mapped into it (/proc/PID/maps).
// Bare `node -e 0` is timed in the same rounds: what any node start costs on this machine now.
// Runs interleave the variants (build, tsx, build, ...) so that a machine's drift hits both; the
// figures are medians. Bounded: RUNS of each, and the whole bench gives up after its deadline.

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchDeadline } from './lib/deadline.ts';
import { REPO_ROOT } from './lib/paths.ts';
import { processRssMiB } from './lib/proc.ts';
import { startServer } from './lib/bench-server.ts';
import { median, round } from './lib/stats.ts';
import { makeTempDir } from '../tests/helpers/temp-dir.ts';

const RUNS = 9;
const SERVE_RUNS = 3;
const IDLE_MS = 1000;
const PASSWORD = 'bench-startup';
const BENCH_DEADLINE_MS = 240_000;
/** The targets, printed and never asserted. */
const TARGETS = { versionMs: 200, sendMs: 400, idleServeMiB: 70 };

interface Variant {
  name: 'build' | 'dist' | 'tsx';
  /** node's arguments before parlor's own. */
  entry: string[];
}

const VARIANTS: Variant[] = [
  { name: 'build', entry: [join(REPO_ROOT, 'bin', 'parlor.js')] },
  { name: 'dist', entry: [join(REPO_ROOT, 'dist', 'cli', 'main.js')] },
  { name: 'tsx', entry: ['--import', 'tsx', join(REPO_ROOT, 'src', 'cli', 'main.ts')] },
];

/** Runs `node ENTRY ARGS` to its exit; resolves with the wall time in ms. */
function timedRun(variant: Variant, args: string[]): Promise<number> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [...variant.entry, ...args], { cwd: REPO_ROOT, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`parlor ${args[0]} (${variant.name}) failed: ${stderr.trim() || error.message}`));
      else resolve(performance.now() - startedAt);
    });
  });
}

function libvipsMapped(pid: number): boolean {
  return /libvips/.test(readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

async function idleServe(variant: Variant): Promise<{ rssMiB: number; libvips: boolean }> {
  const server = await startServer({ entry: variant.entry, serveArgs: ['--discovery-port', '0'] });
  try {
    await sleep(IDLE_MS);
    return { rssMiB: processRssMiB(server.pid), libvips: libvipsMapped(server.pid) };
  } finally {
    await server.stop();
  }
}

type Figures = Record<Variant['name'], { versionMs: number[]; sendMs: number[]; serveMiB: number[]; libvips: boolean[] }>;

export async function run(): Promise<void> {
  const benchStarted = performance.now();
  const deadline = benchDeadline('startup', BENCH_DEADLINE_MS);
  console.log('startup: whole-process time of `parlor --version` and `parlor send` (to a server on 127.0.0.1), and the RSS of an idle `parlor serve --ephemeral`');
  console.log(
    `  build = node bin/parlor.js (dist/bundle/); dist = node dist/cli/main.js (not bundled); tsx = node --import tsx src/cli/main.ts; ` +
      `interleaved, median of ${RUNS} runs (${SERVE_RUNS} for serve)`,
  );
  const figures: Figures = {
    build: { versionMs: [], sendMs: [], serveMiB: [], libvips: [] },
    dist: { versionMs: [], sendMs: [], serveMiB: [], libvips: [] },
    tsx: { versionMs: [], sendMs: [], serveMiB: [], libvips: [] },
  };
  const bareNodeMs: number[] = [];
  const server = await startServer({ serveArgs: ['--password', PASSWORD, '--no-discovery'] });
  const configs = Object.fromEntries(VARIANTS.map((v) => [v.name, makeTempDir(`startup-${v.name}`)]));
  try {
    const sendArgs = (variant: Variant, i: number) => [
      'send', '--server', `127.0.0.1:${server.port}`, '--password', PASSWORD, '--name', `bench-${variant.name}`,
      '--config', configs[variant.name]!.path, '--fingerprint', server.fingerprint, `startup run ${i}`,
    ];
    // Untimed: makes each variant's identity (RSA-2048) and warms tsx's cache.
    for (const variant of VARIANTS) await timedRun(variant, sendArgs(variant, 0));
    for (let i = 1; i <= RUNS; i++) {
      bareNodeMs.push(await timedRun({ name: 'build', entry: [] }, ['-e', '0']));
      for (const variant of VARIANTS) {
        figures[variant.name].versionMs.push(await timedRun(variant, ['--version']));
        figures[variant.name].sendMs.push(await timedRun(variant, sendArgs(variant, i)));
      }
    }
    for (let i = 1; i <= SERVE_RUNS; i++) {
      for (const variant of VARIANTS) {
        const idle = await idleServe(variant);
        figures[variant.name].serveMiB.push(idle.rssMiB);
        figures[variant.name].libvips.push(idle.libvips);
      }
    }
  } finally {
    clearTimeout(deadline);
    await server.stop();
    for (const dir of Object.values(configs)) dir.remove();
  }

  const summary = Object.fromEntries(
    VARIANTS.map(({ name }) => [
      name,
      {
        versionMs: round(median(figures[name].versionMs)),
        sendMs: round(median(figures[name].sendMs)),
        idleServeMiB: round(median(figures[name].serveMiB), 1),
        libvipsMapped: figures[name].libvips.some(Boolean),
      },
    ]),
  ) as Record<Variant['name'], { versionMs: number; sendMs: number; idleServeMiB: number; libvipsMapped: boolean }>;
  const verdict = (value: number, target: number) => (value <= target ? 'meets it' : 'misses it');
  const { build, dist, tsx } = summary;
  const nodeMs = round(median(bareNodeMs));
  console.log(`  bare node -e 0:   ${nodeMs} ms (what any node start costs here now)`);
  console.log(`  parlor --version: ${build.versionMs} ms (dist: ${dist.versionMs} ms, tsx: ${tsx.versionMs} ms); target ≤ ${TARGETS.versionMs} ms: ${verdict(build.versionMs, TARGETS.versionMs)}`);
  console.log(`  parlor send:      ${build.sendMs} ms (dist: ${dist.sendMs} ms, tsx: ${tsx.sendMs} ms); target ≤ ${TARGETS.sendMs} ms: ${verdict(build.sendMs, TARGETS.sendMs)}`);
  console.log(
    `  idle serve RSS:   ${build.idleServeMiB} MiB, libvips ${build.libvipsMapped ? 'mapped' : 'not mapped'} ` +
      `(dist: ${dist.idleServeMiB} MiB; tsx: ${tsx.idleServeMiB} MiB, libvips ${tsx.libvipsMapped ? 'mapped' : 'not mapped'}); target ≤ ${TARGETS.idleServeMiB} MiB: ${verdict(build.idleServeMiB, TARGETS.idleServeMiB)}`,
  );
  console.log(`  (took ${((performance.now() - benchStarted) / 1000).toFixed(1)} s)`);
  console.log(JSON.stringify({ bench: 'startup', ...summary, bareNodeMs: nodeMs, targets: TARGETS, runs: RUNS, serveRuns: SERVE_RUNS, samples: figures }));
}
