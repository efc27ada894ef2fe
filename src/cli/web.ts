// `parlor web`: the whole chat in a browser, served by this process on 127.0.0.1 (and [::1]) only.
// The flags are the terminal UI's that make sense here, plus --port; there is no --host, on
// purpose. It prints one line, the URL with a fresh token, and opens the browser on it unless
// --no-open. Ctrl-C ends it; closing the tab does not (the chat stays connected for the next one).

import type { Command } from 'commander';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { loadSettings } from '../shared/settings.ts';
import { pageDir } from '../web/page-bundle.ts';
import { startWebServer } from '../web/web-server.ts';
import { WebSession } from '../web/web-session.ts';
import { addChatUiFlags, chatUiOptions, type ChatUiFlags } from './chat-ui-flags.ts';
import { integerFlag } from './output.ts';

interface WebFlags extends ChatUiFlags {
  port: number;
  open: boolean;
}

export function registerWeb(program: Command): void {
  addChatUiFlags(program.command('web'), 'received pictures and (by default) files')
    .description('the chat in your browser, served by this process on 127.0.0.1 only')
    .option('--port <n>', 'the local port the page is served on (default: a free one)', integerFlag('--port'), 0)
    .option('--no-open', 'only print the URL; do not open a browser')
    .action(async (flags: WebFlags) => {
      const options = chatUiOptions(flags);
      const session = new WebSession(
        options,
        loadOrCreateClientIdentity(options.configDir),
        loadSettings(options.configDir),
      );
      // The URL is printed first; the identity is read (or made) meanwhile, for the login.
      session.identity.catch(() => {});
      const server = await startWebServer(session, await pageDir(), flags.port);
      process.stdout.write(`parlor web: ${server.url}\n`);
      session.start();
      let stopping = false;
      const stop = () => {
        if (stopping) return;
        stopping = true;
        void Promise.all([session.close(), server.close()]).finally(() => process.exit(0));
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
      if (flags.open) {
        const open = (await import('open')).default;
        await open(server.url).catch(() => process.stderr.write('parlor web: could not open a browser; open the URL above\n'));
      }
    });
}
