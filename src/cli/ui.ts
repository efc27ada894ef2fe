// Plain `parlor`: the terminal UI. Its flags are those of `parlor discover` (where to look),
// those of the client verbs (who to be, where keys live), and where "host a server here" listens.

import type { Command } from 'commander';
import { ParlorError } from '../protocol/errors.ts';
import { isThemeName, THEME_NAMES } from '../shared/themes.ts';
import { addChatUiFlags, chatUiOptions, type ChatUiFlags } from './chat-ui-flags.ts';

interface UiFlags extends ChatUiFlags {
  replace?: boolean;
  open: boolean;
  mouse?: boolean;
  theme?: string;
}

export function registerUi(program: Command): void {
  addChatUiFlags(program, 'received pictures, exports and (by default) files')
    .option('--replace', "log this identity's other sessions out (SESSION_REPLACED) instead of adding one more")
    .option('--no-open', "show the bot's links (!enlightenme) without opening a browser")
    .option('--mouse', 'let the mouse scroll the messages (the terminal then cannot select text)')
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
          ...chatUiOptions(flags),
          replace: flags.replace === true,
          openLinks: flags.open,
          mouse: flags.mouse === true,
          env: process.env,
        },
        theme,
      );
    });
}
