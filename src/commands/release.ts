import { text } from './definition.ts';
import { operatorCommand } from './operator-command.ts';

/**
 * `!release NAME`: frees a name from the identity key it is bound to, for someone who lost that
 * key (or moved to a new machine without it): the next key to log in with the name takes it,
 * instead of waiting out the reservation. The server logs it and tells that next login.
 */
export const release = operatorCommand('release', '!release NAME', 'frees a name from the key it is bound to (a lost key)', (context, args) => {
  const freed = context.actions.release(args.split(/\s+/)[0]!);
  return text(`${freed.name} is released from key ${freed.fingerprint}: the next key to log in with it takes it`);
});
