import { text } from './definition.ts';
import { operatorCommand, userAndReason } from './operator-command.ts';

/** `!kick USER [REASON]`: disconnects them (the room sees "bob was kicked by ada: REASON"); they may come back. */
export const kick = operatorCommand('kick', '!kick USER [REASON]', 'disconnects a user (they may come back)', (context, args) => {
  const { user, reason } = userAndReason(args);
  return text(`${context.actions.kick(user, reason).name} was kicked`);
});
