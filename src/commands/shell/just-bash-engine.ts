// The default engine: just-bash (a simulated bash over an in-memory filesystem) in a worker
// thread, one fresh worker per run, terminated hard at the deadline.
//
// Why a worker: just-bash checks its limits between commands, so one awk or sed program can spin
// on inside a single command, and it runs on the thread that called it. In a worker, that spin
// costs one core and nothing else: the server's event loop keeps running, and Worker.terminate()
// stops even a tight loop. The worker gets an empty process.env, no execArgv, and a V8 heap cap.
//
// Why a fresh worker per run (about 0.1 s to start, measured here): nothing a script does can
// leave state behind in a shared JS realm for the next user, and a killed run leaves nothing to
// repair. Homes live in the parent instead: each run gets the user's home as a list of entries
// and hands it back when it finishes, and the parent keeps it (in memory, for the server's
// lifetime, the least recently used dropped past maxHomes). A run that is killed or fails hands
// nothing back, so its home stays as it was before that run.

import { Worker } from 'node:worker_threads';
import type { BashOptions, CommandName } from 'just-bash';
import { z } from 'zod';
import { compiledModule } from '../../package-root.ts';
import { ParlorError } from '../../protocol/errors.ts';
import type { EngineOutcome, ShellEngine, ShellLimits } from './engine.ts';

// The worker is compiled JavaScript: dist/'s build of just-bash-worker.ts, whether this module
// runs from dist/, from the bundle of it, or from its sources (the tests, through tsx): a worker
// starts with no loader, and tsx inside it would cost about a second per run. `npm test` builds
// dist/ first (and tests/hooks.test.ts rebuilds a stale one).
const WORKER_URL = compiledModule('commands/shell/just-bash-worker.js');

// Every built-in but sqlite3, whose sql.js WebAssembly memory the worker's heap cap does not bound.
// No curl (it exists only with a network config), no python, no js-exec/node: none is enabled.
const SHELL_COMMANDS: CommandName[] = [
  'echo', 'cat', 'printf', 'ls', 'mkdir', 'rmdir', 'touch', 'rm', 'cp', 'mv', 'ln', 'chmod', 'pwd',
  'readlink', 'head', 'tail', 'wc', 'stat', 'grep', 'fgrep', 'egrep', 'rg', 'sed', 'awk', 'sort',
  'uniq', 'comm', 'cut', 'paste', 'tr', 'rev', 'nl', 'fold', 'expand', 'unexpand', 'strings', 'split',
  'column', 'join', 'tee', 'find', 'basename', 'dirname', 'tree', 'du', 'env', 'printenv', 'alias',
  'unalias', 'history', 'xargs', 'true', 'false', 'clear', 'bash', 'sh', 'jq', 'base64', 'diff',
  'date', 'sleep', 'timeout', 'seq', 'expr', 'md5sum', 'sha1sum', 'sha256sum', 'file',
  'html-to-markdown', 'help', 'which', 'tac', 'hostname', 'od', 'gzip', 'gunzip', 'zcat', 'tar', 'yq',
  'xan', 'time', 'whoami',
];

// The in-memory fs also holds just-bash's own layout (/bin stubs, /proc, /dev: 6.3 KiB in 3.4.2):
// this much on top of the home's allowance is for them.
const LAYOUT_BYTES = 16 * 1024;
// just-bash's output cap (maxOutputSize) counts what redirections write to files as well as what
// is printed, and drops a command's whole output when passed. So it is set well above ours: past
// the disk's size, so that filling the home meets the disk's limit first, and at least a few times
// our cap, so that output a little over our cap is cut by us (kept up to the cap) rather than lost.
const ENGINE_OUTPUT_FACTOR = 4;
const OUTPUT_LIMIT_MESSAGE = /output size limit exceeded/;

const homeEntrySchema = z.object({
  path: z.string().min(1).refine((path) => !path.startsWith('/') && !path.split('/').includes('..'), 'a path inside the home'),
  type: z.enum(['dir', 'file', 'symlink', 'hardlink']),
  mode: z.number().int(),
  mtimeMs: z.number(),
  data: z.instanceof(Uint8Array).optional(),
  target: z.string().optional(),
});
export type HomeEntry = z.infer<typeof homeEntrySchema>;

const workerReplySchema = z.union([
  z.object({
    stdout: z.string(),
    stderr: z.string(),
    exitCode: z.number().int(),
    home: z.array(homeEntrySchema).optional(),
    homeError: z.string().optional(),
  }),
  z.object({ failure: z.string() }),
]);

export class JustBashEngine implements ShellEngine {
  readonly name = 'just-bash';
  private readonly homes = new Map<string, HomeEntry[]>();
  /** Runs in flight, each with the way to end it when the sandbox closes. */
  private readonly inFlight = new Map<Worker, () => void>();

  constructor(private readonly limits: ShellLimits) {}

  run(userKey: string, command: string): Promise<EngineOutcome> {
    const limits = this.limits;
    const executionLimits: NonNullable<BashOptions['executionLimits']> = {
      maxCommandCount: limits.maxCommands,
      maxLoopIterations: limits.maxLoopIterations,
      maxAwkIterations: limits.maxLoopIterations,
      maxSedIterations: limits.maxLoopIterations,
      maxJqIterations: limits.maxLoopIterations,
      maxOutputSize: Math.max(limits.maxOutputBytes * ENGINE_OUTPUT_FACTOR, 2 * (limits.maxDiskBytes + LAYOUT_BYTES)),
      maxFileSystemBytes: limits.maxDiskBytes,
      maxSourceBytes: 64 * 1024,
      // A backstop only: the parent's kill at timeoutMs comes first.
      maxExecutionTimeMs: limits.timeoutMs + 1000,
    };
    const worker = new Worker(WORKER_URL, {
      workerData: {
        command,
        commands: SHELL_COMMANDS,
        executionLimits,
        diskBytes: limits.maxDiskBytes + LAYOUT_BYTES,
        maxHomeEntries: limits.maxHomeEntries,
        home: this.homes.get(userKey) ?? [],
      },
      env: {},
      argv: [],
      execArgv: [],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: limits.memoryMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
    });
    // Whatever the worker itself prints is not the script's output (that comes as the reply).
    worker.stdout.resume();
    worker.stderr.resume();

    return new Promise<EngineOutcome>((resolve, reject) => {
      let settled = false;
      const settle = (finish: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        this.inFlight.delete(worker);
        void worker.terminate();
        finish();
      };
      const deadline = setTimeout(() => {
        settle(() => resolve({ output: '', exitCode: 124, truncated: false, timedOut: true }));
      }, limits.timeoutMs);
      this.inFlight.set(worker, () => settle(() => reject(new ParlorError('COMMAND_FAILED', 'the shell sandbox closed'))));

      worker.once('message', (message: unknown) => {
        settle(() => {
          const reply = workerReplySchema.safeParse(message);
          if (!reply.success) return reject(new ParlorError('COMMAND_FAILED', 'the shell worker answered nonsense'));
          if ('failure' in reply.data) return reject(new ParlorError('COMMAND_FAILED', `the shell failed: ${reply.data.failure}`));
          const { stdout, stderr, exitCode, home, homeError } = reply.data;
          let output = stdout + stderr;
          if (home !== undefined) this.keepHome(userKey, home);
          if (homeError !== undefined) output += `shell: your home was not saved: ${homeError}\n`;
          resolve({ output, exitCode, truncated: OUTPUT_LIMIT_MESSAGE.test(stderr), timedOut: false });
        });
      });
      worker.once('error', (error: Error & { code?: string }) => {
        settle(() => {
          if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
            resolve({ output: `shell: out of memory (limit ${limits.memoryMb} MiB)\n`, exitCode: 137, truncated: false, timedOut: false });
          } else {
            reject(new ParlorError('COMMAND_FAILED', 'the shell worker failed', { cause: error }));
          }
        });
      });
      worker.once('exit', () => settle(() => reject(new ParlorError('COMMAND_FAILED', 'the shell worker stopped without an answer'))));
    });
  }

  private keepHome(userKey: string, home: HomeEntry[]): void {
    const bytes = home.reduce((sum, entry) => sum + (entry.data?.byteLength ?? 0), 0);
    // The worker's fs cannot hold more than this; a reply that claims more is not kept.
    if (bytes > this.limits.maxDiskBytes + LAYOUT_BYTES) return;
    this.homes.delete(userKey); // re-inserted last: Map order is the recency order
    this.homes.set(userKey, home);
    for (const oldest of this.homes.keys()) {
      if (this.homes.size <= this.limits.maxHomes) break;
      this.homes.delete(oldest);
    }
  }

  async close(): Promise<void> {
    const workers = [...this.inFlight.keys()];
    for (const end of [...this.inFlight.values()]) end();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
