import { text } from './definition.ts';
import { operatorCommand, userAndReason } from './operator-command.ts';

/** `!kick USER [REASON]`: disconnects them; they may come back. */
export const kick = operatorCommand('kick', '!kick USER [REASON]', 'disconnects a user (they may come back)', (context, args) => {
  const { user, reason } = userAndReason(args, `kicked by ${context.caller.name}`);
  return text(`${context.actions.kick(user, reason).name} was disconnected`);
});
