// The sandbox behind `!shell`: picks an engine, holds the limits, admits at most maxConcurrent runs
// (and one per user, so that two runs never race on the same home), and turns what an engine
// printed into safe text: control sequences stripped, then cut to maxOutputBytes.

import { asParlorError, ParlorError } from '../../protocol/errors.ts';
import { BwrapEngine } from './bwrap-engine.ts';
import { capUtf8, stripControlSequences } from './control-sequences.ts';
import { DEFAULT_SHELL_LIMITS, type ShellEngine, type ShellEngineName, type ShellLimits } from './engine.ts';
import { JustBashEngine } from './just-bash-engine.ts';

export type { ShellEngineName, ShellLimits } from './engine.ts';

export interface ShellResult {
  /** stdout then stderr (just-bash), or both as they arrived (bwrap); no control sequences. */
  output: string;
  exitCode: number;
  truncated: boolean;
  /** The deadline killed it (the caller turns this into COMMAND_TIMEOUT). */
  timedOut: boolean;
  engine: ShellEngineName;
}

export interface ShellSandboxOptions {
  engine?: ShellEngineName;
  limits?: Partial<ShellLimits>;
  onWarning?: (message: string) => void;
  /** The bubblewrap binary (default `bwrap`, looked up in /usr/bin:/bin). */
  bwrapPath?: string;
}

function resolveLimits(overrides: Partial<ShellLimits> = {}): ShellLimits {
  const limits = { ...DEFAULT_SHELL_LIMITS };
  for (const [name, value] of Object.entries(overrides) as Array<[keyof ShellLimits, number | undefined]>) {
    if (value === undefined) continue;
    if (!Object.hasOwn(DEFAULT_SHELL_LIMITS, name) || !Number.isSafeInteger(value) || value < 1) {
      throw new ParlorError('BAD_OPTION', `shell limit ${name} must be a positive integer, not ${String(value)}`);
    }
    limits[name] = value;
  }
  return limits;
}

export class ShellSandbox {
  readonly engine: ShellEngineName;
  readonly limits: ShellLimits;
  private running = 0;
  private readonly busyUsers = new Set<string>();
  private closed = false;

  private constructor(private readonly impl: ShellEngine, limits: ShellLimits) {
    this.engine = impl.name;
    this.limits = limits;
  }

  /** bwrap requested but missing or failing its trial run: a warning, and just-bash instead. */
  static async create(options: ShellSandboxOptions = {}): Promise<ShellSandbox> {
    const limits = resolveLimits(options.limits);
    if ((options.engine ?? 'just-bash') === 'bwrap') {
      const bwrap = new BwrapEngine(limits, options.bwrapPath ?? 'bwrap');
      const problem = await bwrap.trial();
      if (problem === undefined) return new ShellSandbox(bwrap, limits);
      options.onWarning?.(`the bwrap shell engine is not usable (${problem}): !shell uses just-bash instead`);
    }
    return new ShellSandbox(new JustBashEngine(limits), limits);
  }

  /** Runs in flight now. */
  get active(): number {
    return this.running;
  }

  async run(userKey: string, command: string): Promise<ShellResult> {
    if (this.closed) throw new ParlorError('COMMAND_FAILED', 'the shell sandbox is closed');
    // No argv can carry a NUL, and no shell script needs one.
    if (command.includes('\0')) throw new ParlorError('BAD_ARGUMENTS', 'a shell command cannot contain a NUL character');
    if (this.running >= this.limits.maxConcurrent) throw new ParlorError('COMMAND_BUSY');
    if (this.busyUsers.has(userKey)) throw new ParlorError('COMMAND_BUSY', 'your previous shell command is still running');
    this.running += 1;
    this.busyUsers.add(userKey);
    try {
      const outcome = await this.impl.run(userKey, command);
      const capped = capUtf8(stripControlSequences(outcome.output), this.limits.maxOutputBytes);
      return {
        output: capped.text,
        exitCode: outcome.exitCode,
        truncated: outcome.truncated || capped.truncated,
        timedOut: outcome.timedOut,
        engine: this.engine,
      };
    } catch (error) {
      throw asParlorError(error, 'COMMAND_FAILED');
    } finally {
      this.running -= 1;
      this.busyUsers.delete(userKey);
    }
  }

  /** Kills every worker and child; runs in flight reject with COMMAND_FAILED. */
  async close(): Promise<void> {
    this.closed = true;
    await this.impl.close();
  }
}
