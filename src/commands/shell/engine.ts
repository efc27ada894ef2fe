// What the two engines share: the limits they are given and what one run hands back before the
// sandbox strips and caps it (sandbox.ts).

export type ShellEngineName = 'just-bash' | 'bwrap';

export interface ShellLimits {
  /** Hard wall-clock deadline per command: the worker or the bwrap process is killed at it. */
  timeoutMs: number;
  /** Output past this many bytes is cut and `truncated` set. */
  maxOutputBytes: number;
  /** just-bash executionLimits.maxCommandCount: commands per run. */
  maxCommands: number;
  /** just-bash loop limits (shell loops, awk, sed branches, jq), each per run. */
  maxLoopIterations: number;
  /** Size of a virtual home (just-bash: the whole in-memory fs; bwrap: each tmpfs, and RLIMIT_FSIZE). */
  maxDiskBytes: number;
  /** Runs at once across all users. */
  maxConcurrent: number;
  /** just-bash: the worker's V8 heap (resourceLimits); bwrap: RLIMIT_AS. */
  memoryMb: number;
  /** Homes kept in memory (just-bash); the least recently used one is dropped past this. */
  maxHomes: number;
  /** Files, directories and links in one home (just-bash). */
  maxHomeEntries: number;
  /** bwrap: RLIMIT_NPROC, counted for the unprivileged user the sandbox runs as. */
  maxProcesses: number;
}

export const DEFAULT_SHELL_LIMITS: ShellLimits = {
  timeoutMs: 5000,
  maxOutputBytes: 16 * 1024,
  maxCommands: 10_000,
  maxLoopIterations: 10_000,
  maxDiskBytes: 4 * 1024 * 1024,
  maxConcurrent: 2,
  memoryMb: 128,
  maxHomes: 32,
  maxHomeEntries: 2000,
  maxProcesses: 64,
};

/** One run as an engine reports it: raw output, not yet stripped of control sequences. */
export interface EngineOutcome {
  output: string;
  exitCode: number;
  truncated: boolean;
  timedOut: boolean;
}

export interface ShellEngine {
  readonly name: ShellEngineName;
  run(userKey: string, command: string): Promise<EngineOutcome>;
  /** Kills every run in flight; their promises reject with COMMAND_FAILED. */
  close(): Promise<void>;
}
