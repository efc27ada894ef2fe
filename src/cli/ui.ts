// Plain `parlor`: the terminal UI. Its flags are those of `parlor discover` (where to look),
// those of the client verbs (who to be, where keys live), and where "host a server here" listens.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultConfigDir, defaultDataDir } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { isThemeName, THEME_NAMES } from '../shared/themes.ts';
import { addWaitingRoomFlags, discoveryOptions, type DiscoveryFlags } from './discovery-flags.ts';
import { integerFlag } from './output.ts';

interface UiFlags extends DiscoveryFlags {
  server?: string;
  name?: string;
  password?: string;
  config?: string;
  data?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  replace?: boolean;
  serveHost?: string;
  servePort: number;
  open: boolean;
  mouse?: boolean;
  theme?: string;
  downloads?: string;
  maxAutoAcceptBytes?: number;
}

export function registerUi(program: Command): void {
  addWaitingRoomFlags(program)
    .option('--server <host:port>', 'skip discovery: straight to the login room of this server')
    .option('--name <name>', 'your name in the chat (default: the last one you used)')
    .option('--password <pw>', "the server's join password (default: from the server's advert)")
    .option('--config <dir>', 'config dir with your identity, known_servers and ui.json (default: $XDG_CONFIG_HOME/parlor)')
    .option('--data <dir>', 'where received pictures, exports and (by default) files go (default: $XDG_DATA_HOME/parlor)')
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--replace', "log this identity's other sessions out (SESSION_REPLACED) instead of adding one more")
    .option('--no-open', "show the bot's links (!enlightenme) without opening a browser")
    .option('--mouse', 'let the mouse scroll the messages (the terminal then cannot select text)')
    .option('--downloads <dir>', 'where files others send you are saved (default: downloads/ in the data dir)')
    .option('--max-auto-accept-bytes <n>', 'files up to this size are saved without asking; larger ones wait for /accept (default: 1 GiB)', integerFlag('--max-auto-accept-bytes'))
    .option('--theme <name>', `colours for this run: ${THEME_NAMES.join(', ')} (/theme remembers one)`)
    .action(async (flags: UiFlags) => {
      if (flags.theme !== undefined && !isThemeName(flags.theme)) throw new ParlorError('BAD_OPTION', `--theme: one of ${THEME_NAMES.join(', ')}`);
      // Without a terminal blessed would write escape codes into a pipe and wait for keys forever.
      if (process.stdin.isTTY !== true || process.stdout.isTTY !== true) {
        const which = process.stdin.isTTY !== true ? (process.stdout.isTTY !== true ? 'stdin and stdout are not terminals' : 'stdin is not a terminal') : 'stdout is not a terminal';
        throw new ParlorError(
          'NOT_A_TERMINAL',
          `the chat UI needs a terminal (${which}). In scripts and pipes use \`parlor send\` to post a message or a !command, and \`parlor tail\` to read (see parlor send --help, parlor tail --help)`,
        );
      }
      const theme = flags.theme !== undefined && isThemeName(flags.theme) ? flags.theme : undefined;
      // blessed, sharp and the UI's modules load only when the UI runs, not for every subcommand.
      const { runUi } = await import('../ui/app.ts');
      return runUi(
        {
          configDir: flags.config ?? defaultConfigDir(),
          dataDir: flags.data ?? defaultDataDir(),
          ...(flags.server !== undefined && { server: flags.server }),
          ...(flags.name !== undefined && { name: flags.name }),
          ...(flags.password !== undefined && { password: flags.password }),
          ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
          acceptNewKey: flags.acceptNewKey === true,
          replace: flags.replace === true,
          discovery: discoveryOptions(flags),
          hosting: {
            ...(flags.serveHost !== undefined && { host: flags.serveHost }),
            port: flags.servePort,
            discoveryPort: flags.discoveryPort,
            mdns: flags.mdns,
          },
          openLinks: flags.open,
          mouse: flags.mouse === true,
          env: process.env,
          ...(flags.downloads !== undefined && { downloadsDir: resolve(flags.downloads) }),
          ...(flags.maxAutoAcceptBytes !== undefined && { maxAutoAcceptBytes: flags.maxAutoAcceptBytes }),
        },
        theme,
      );
    });
}
