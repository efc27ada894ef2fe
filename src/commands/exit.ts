import { text, type CommandDefinition } from './definition.ts';

/** `!exit`: the server disconnects the caller (after this reply has reached it). */
export const exit: CommandDefinition = {
  name: 'exit',
  summary: 'disconnects you from the server',
  usage: '!exit',
  permission: 'everyone',
  cooldownMs: 0,
  timeoutMs: 1_000,
  maxOutputBytes: 256,
  run: (context) => {
    context.actions.disconnectCaller('you left with !exit');
    return text('bye');
  },
};
