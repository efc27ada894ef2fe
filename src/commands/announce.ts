import { text } from './definition.ts';
import { operatorCommand } from './operator-command.ts';

/** `!announce TEXT`: a notice to everyone online, whatever room they are in. */
export const announce = operatorCommand('announce', '!announce TEXT', 'sends a notice to everyone online', (context, args) => {
  const { recipients } = context.actions.announce(args);
  return text(`announced to ${recipients} ${recipients === 1 ? 'person' : 'people'}`);
});
