import { text } from './definition.ts';
import { operatorCommand, userAndReason } from './operator-command.ts';

/** `!ban USER [REASON]`: by identity key, so a new name does not get them back in; persisted. */
export const ban = operatorCommand('ban', '!ban USER [REASON]', "bans a user's identity key and disconnects them", (context, args) => {
  const { user, reason } = userAndReason(args);
  const banned = context.actions.ban(user, reason);
  return text(`${banned.name} is banned (key ${banned.fingerprint})`);
});
