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
import { release } from './release.ts';
import { shellCommand } from './shell.ts';
import { ShellSandbox, type ShellEngineName } from './shell/sandbox.ts';
import { CommandRegistry, type RegistryProblem } from './registry.ts';
import { unban } from './unban.ts';

export interface BotOptions {
  catsDir?: string;
  wikipediaUrl?: string;
  pluginsDir?: string;
  disabledCommands?: readonly string[];
  /** `!shell`'s engine; false turns the command off (and starts no sandbox). Default just-bash. */
  shell?: ShellEngineName | false;
  /** Said once at start, e.g. that bwrap is missing and just-bash is used instead. */
  onWarning?: (message: string) => void;
}

/** The command registry with the built-ins and the plugins in it (the server's Bot, server/bot.ts, runs it). */
export interface LoadedCommands {
  registry: CommandRegistry;
  problems: RegistryProblem[];
  /** Ends what commands keep running (the shell's workers and children). */
  close(): Promise<void>;
}

export async function createBot(options: BotOptions = {}): Promise<LoadedCommands> {
  const shell = options.shell ?? 'just-bash';
  // --no-shell is a turned-off command (COMMAND_DISABLED), not an unknown one.
  const shellOff = shell === false ? ['shell', 'sh'] : [];
  const registry = new CommandRegistry({ disabled: [...(options.disabledCommands ?? []), ...shellOff] });
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
    release,
    announce,
  ];
  for (const definition of builtins) registry.add(definition);
  let sandbox: ShellSandbox | undefined;
  if (shell !== false && !registry.isTurnedOff('shell')) {
    sandbox = await ShellSandbox.create({ engine: shell, ...(options.onWarning && { onWarning: options.onWarning }) });
    registry.add(shellCommand(sandbox));
  }
  const problems: RegistryProblem[] = [];
  if (options.pluginsDir !== undefined) {
    const plugins = await loadPlugins(options.pluginsDir);
    problems.push(...plugins.problems, ...registry.addAll(plugins.candidates));
  }
  const known = registry.isTurnedOff('shell') ? ['shell', 'sh'] : [];
  for (const name of registry.unknownAmong(options.disabledCommands ?? []).filter((n) => !known.includes(n))) problems.push({ source: '--disable-command', problem: `there is no !${name} to turn off` });
  return { registry, problems, close: async () => sandbox?.close() };
}
