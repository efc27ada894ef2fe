import { failure, text, type CommandDefinition } from './definition.ts';

/**
 * `!quit PASSWORD`: stops the server. It asks for the operator password even of an operator, as
 * the original ChatRoom did: stopping everyone's chat deserves the password typed on purpose.
 */
export const quit: CommandDefinition = {
  name: 'quit',
  summary: 'tells everyone, saves everything and stops the server',
  usage: '!quit OPERATOR-PASSWORD',
  permission: 'everyone',
  cooldownMs: 0,
  timeoutMs: 5_000,
  maxOutputBytes: 256,
  run: async (context, args) => {
    if (args === '') return failure('BAD_ARGUMENTS', 'usage: !quit OPERATOR-PASSWORD');
    await context.actions.checkOperatorPassword(args);
    context.actions.stopServer(`${context.caller.name} stopped the server`);
    return text('the server is stopping');
  },
};
