import { failure, text, type CommandDefinition } from './definition.ts';

/** `!echo TEXT`: the server says TEXT back, to the caller only. */
export const echo: CommandDefinition = {
  name: 'echo',
  summary: 'the bot says your text back to you',
  usage: '!echo TEXT',
  permission: 'everyone',
  cooldownMs: 0,
  timeoutMs: 1_000,
  maxOutputBytes: 4096,
  run: (_context, args) => (args === '' ? failure('BAD_ARGUMENTS', 'usage: !echo TEXT') : text(args)),
};
