// An example plugin: `!roll 2d6+1` rolls dice. Start a server with `parlor serve --plugins
// examples/plugins` and it is there beside the built-ins. A plugin is a module whose default
// export is one command definition (or an array of them); it needs nothing from parlor at run
// time: the import below is only for the type checker.

import { randomInt } from 'node:crypto';
import type { CommandDefinition } from '../../src/commands/definition.ts';

const DICE = /^(\d{1,3})?d(\d{1,4})([+-]\d{1,4})?$/i;

const roll: CommandDefinition = {
  name: 'roll',
  aliases: ['dice'],
  summary: 'rolls dice, e.g. !roll 2d6+1',
  usage: '!roll [N]dSIDES[+MOD]',
  permission: 'everyone',
  cooldownMs: 500,
  timeoutMs: 1_000,
  maxOutputBytes: 1024,
  run: (_context, args) => {
    const match = DICE.exec(args.replace(/\s+/g, '') || 'd6');
    if (!match) return { kind: 'error', code: 'BAD_ARGUMENTS', message: 'usage: !roll [N]dSIDES[+MOD], e.g. !roll 2d6+1' };
    const count = Number(match[1] ?? 1);
    const sides = Number(match[2]);
    const modifier = Number(match[3] ?? 0);
    if (count < 1 || count > 100 || sides < 2) return { kind: 'error', code: 'BAD_ARGUMENTS', message: 'between 1 and 100 dice of at least 2 sides' };
    // randomInt, not Math.random: fair dice, and parlor's rule for anything random.
    const rolls = Array.from({ length: count }, () => randomInt(1, sides + 1));
    const total = rolls.reduce((sum, n) => sum + n, 0) + modifier;
    const shown = count === 1 && modifier === 0 ? '' : ` (${rolls.join(' + ')}${modifier ? ` ${modifier > 0 ? '+' : '-'} ${Math.abs(modifier)}` : ''})`;
    return { kind: 'text', text: `🎲 ${total}${shown}` };
  },
};

export default roll;
