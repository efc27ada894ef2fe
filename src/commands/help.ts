import { failure, text, type CommandDefinition } from './definition.ts';

/** `!help` and `!help NAME`, generated from the definitions the caller may use. */
export const help: CommandDefinition = {
  name: 'help',
  aliases: ['commands'],
  summary: 'lists the bot commands, or tells how to use one',
  usage: '!help [NAME]',
  permission: 'everyone',
  cooldownMs: 0,
  timeoutMs: 1_000,
  maxOutputBytes: 16 * 1024,
  run: (context, args) => {
    const commands = context.commands();
    if (args === '') {
      const width = Math.max(...commands.map((c) => c.usage.length));
      const lines = commands.map((c) => `${c.usage.padEnd(width)}  ${c.summary}${c.permission === 'operator' ? ' (operator)' : ''}`);
      return text(['Bot commands (their output goes only to you):', ...lines, '!help NAME tells more about one.'].join('\n'));
    }
    const wanted = args.replace(/^!/, '').toLowerCase();
    const command = commands.find((c) => c.name === wanted || c.aliases?.includes(wanted));
    if (!command) return failure('UNKNOWN_COMMAND', `there is no !${wanted.slice(0, 32)}: !help lists them`);
    const lines = [
      `${command.usage}`,
      `  ${command.summary}`,
      ...(command.aliases?.length ? [`  also: ${command.aliases.map((a) => `!${a}`).join(', ')}`] : []),
      `  for: ${command.permission === 'operator' ? 'operators (after /op PASSWORD in the UI, or parlor send --op PASSWORD)' : 'everyone'}`,
      ...(command.cooldownMs > 0 ? [`  once every ${formatSeconds(command.cooldownMs)} per user`] : []),
      `  time limit: ${formatSeconds(command.timeoutMs)}`,
    ];
    return text(lines.join('\n'));
  },
};

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
