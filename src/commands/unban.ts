import { text } from './definition.ts';
import { operatorCommand } from './operator-command.ts';

/** `!unban USER|FINGERPRINT`: lifts a ban by the name the key last used, or by the key itself. */
export const unban = operatorCommand('unban', '!unban USER|FINGERPRINT', 'lifts a ban', (context, args) => {
  const lifted = context.actions.unban(args.split(/\s+/)[0]!);
  return text(`${lifted.name} is no longer banned (key ${lifted.fingerprint})`);
});
