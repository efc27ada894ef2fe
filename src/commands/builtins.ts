// The bot as the server runs it: the built-in commands, then the plugins, in one registry.

import { announce } from './announce.ts';
import { ban } from './ban.ts';
import { echo } from './echo.ts';
import { enlightenmeCommand } from './enlightenme.ts';
import { exit } from './exit.ts';
import { help } from './help.ts';
import { kick } from './kick.ts';
import { meowCommand } from './meow.ts';
import { loadPlugins } from './plugins.ts';
import { quit } from './quit.ts';
import { CommandRegistry, type RegistryProblem } from './registry.ts';
import { unban } from './unban.ts';

export interface BotOptions {
  catsDir?: string;
  wikipediaUrl?: string;
  pluginsDir?: string;
  disabledCommands?: readonly string[];
}

export async function createBot(options: BotOptions = {}): Promise<{ registry: CommandRegistry; problems: RegistryProblem[] }> {
  const registry = new CommandRegistry({ disabled: options.disabledCommands ?? [] });
  const builtins = [
    help,
    echo,
    meowCommand({ ...(options.catsDir !== undefined && { catsDir: options.catsDir }) }),
    enlightenmeCommand({ ...(options.wikipediaUrl !== undefined && { baseUrl: options.wikipediaUrl }) }),
    exit,
    quit,
    kick,
    ban,
    unban,
    announce,
  ];
  for (const definition of builtins) registry.add(definition);
  const problems: RegistryProblem[] = [];
  if (options.pluginsDir !== undefined) {
    const plugins = await loadPlugins(options.pluginsDir);
    problems.push(...plugins.problems, ...registry.addAll(plugins.candidates));
  }
  for (const name of registry.unknownDisabled()) problems.push({ source: '--disable-command', problem: `there is no !${name} to turn off` });
  return { registry, problems };
}
