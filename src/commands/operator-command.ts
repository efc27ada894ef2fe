import { failure, type CommandContext, type CommandDefinition, type CommandReply } from './definition.ts';

/** The shape the moderation commands share: operator only, quick, and an argument required. */
export function operatorCommand(
  name: string,
  usage: string,
  summary: string,
  run: (context: CommandContext, args: string) => CommandReply,
): CommandDefinition {
  return {
    name,
    summary,
    usage,
    permission: 'operator',
    cooldownMs: 0,
    timeoutMs: 2_000,
    maxOutputBytes: 1024,
    run: (context, args) => (args === '' ? failure('BAD_ARGUMENTS', `usage: ${usage}`) : run(context, args)),
  };
}

/** `USER rest of the reason` → the user and the reason ('' when none was given). */
export function userAndReason(args: string): { user: string; reason: string } {
  const [user, ...rest] = args.split(/\s+/);
  return { user: user!, reason: rest.join(' ') };
}
