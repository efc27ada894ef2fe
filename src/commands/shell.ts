// `!shell COMMAND`: runs COMMAND in the sandbox (src/commands/shell/) for the caller alone, in a
// home of their own that stays between their commands. The sandbox owns every limit that matters
// (deadline, disk, output, concurrency); this definition only turns its result into a reply.

import { failure, text, type CommandDefinition } from './definition.ts';
import type { ShellSandbox } from './shell/sandbox.ts';

export function shellCommand(sandbox: ShellSandbox): CommandDefinition {
  const deadline = sandbox.limits.timeoutMs;
  return {
    name: 'shell',
    aliases: ['sh'],
    summary: `runs a command in a sandboxed shell (${sandbox.engine}) with a home of your own`,
    usage: '!shell COMMAND',
    permission: 'everyone',
    cooldownMs: 1_000,
    // The sandbox kills a run at its own deadline and says so; the registry's is only a backstop.
    timeoutMs: deadline + 2_000,
    maxOutputBytes: sandbox.limits.maxOutputBytes + 256,
    run: async (context, args) => {
      if (args === '') return failure('BAD_ARGUMENTS', 'usage: !shell COMMAND, e.g. !shell echo hello > note.txt; ls -l');
      // By key fingerprint, not name: a home belongs to an identity, as names do.
      const result = await sandbox.run(context.caller.fingerprint, args);
      if (result.timedOut) {
        const partial = result.output.trimEnd();
        return failure('COMMAND_TIMEOUT', `stopped after ${deadline} ms${partial === '' ? '' : `; its output so far:\n${partial}`}`);
      }
      const lines = [result.output.replace(/\n$/, '')];
      if (result.truncated) lines.push(`… (output cut at ${sandbox.limits.maxOutputBytes} bytes)`);
      if (result.exitCode !== 0) lines.push(`(exit status ${result.exitCode})`);
      const shown = lines.filter((line) => line !== '').join('\n');
      return text(shown === '' ? '(no output)' : shown);
    },
  };
}
