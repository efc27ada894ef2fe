// `npm run bench` runs every benchmark; `npm run bench -- NAME [NAME...]` runs the ones named.
// Benchmarks print their figures (human lines, then one JSON line each) and never fail on speed:
// the exit code is 0 unless something actually broke, 2 for an unknown name.

interface Benchmark {
  run(): Promise<void>;
}

/** Every benchmark, in the order `npm run bench` runs them; loaded only when run. */
const benchmarks: Record<string, () => Promise<Benchmark>> = {
  handshake: () => import('./handshake.ts'),
  storm: () => import('./storm.ts'),
  fanout: () => import('./fanout.ts'),
  idle: () => import('./idle.ts'),
  join: () => import('./join.ts'),
  discovery: () => import('./discovery.ts'),
  e2e: () => import('./e2e.ts'),
  transfer: () => import('./transfer.ts'),
  ssh: () => import('./ssh.ts'),
  web: () => import('./web.ts'),
  startup: () => import('./startup.ts'),
  cluster: () => import('./cluster.ts'),
};

function usage(): string {
  return `usage: npm run bench [-- NAME...]\nbenchmarks: ${Object.keys(benchmarks).join(', ')}\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.some((arg) => arg === '-h' || arg === '--help' || arg === '--list')) {
    process.stdout.write(usage());
    return 0;
  }
  const unknown = argv.filter((name) => !Object.hasOwn(benchmarks, name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  const names = argv.length > 0 ? [...new Set(argv)] : Object.keys(benchmarks);
  let failed = 0;
  for (const name of names) {
    try {
      const benchmark = await benchmarks[name]!();
      await benchmark.run();
    } catch (error) {
      failed++;
      process.stderr.write(`bench ${name} broke: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
  }
  return failed > 0 ? 1 : 0;
}

// Exit explicitly: a benchmark that leaked a handle must not hang the run (children are killed on exit).
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
