// `parlor web`: the whole chat in a browser, served by this process on 127.0.0.1 (and [::1]) only.
// The flags are the terminal UI's that make sense here, plus --port; there is no --host, on
// purpose. It prints one line, the URL with a fresh token, and opens the browser on it unless
// --no-open. Ctrl-C ends it; closing the tab does not (the chat stays connected for the next one).

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { defaultConfigDir, defaultDataDir } from '../options.ts';
import { loadSettings } from '../shared/settings.ts';
import { pageDir } from '../web/page-bundle.ts';
import { startWebServer } from '../web/web-server.ts';
import { WebSession } from '../web/web-session.ts';
import { addWaitingRoomFlags, discoveryOptions, type DiscoveryFlags } from './discovery-flags.ts';
import { integerFlag } from './output.ts';

interface WebFlags extends DiscoveryFlags {
  server?: string;
  name?: string;
  password?: string;
  config?: string;
  data?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  serveHost?: string;
  servePort: number;
  port: number;
  open: boolean;
  downloads?: string;
  maxAutoAcceptBytes?: number;
}

export function registerWeb(program: Command): void {
  addWaitingRoomFlags(program.command('web'))
    .description('the chat in your browser, served by this process on 127.0.0.1 only')
    .option('--port <n>', 'the local port the page is served on (default: a free one)', integerFlag('--port'), 0)
    .option('--no-open', 'only print the URL; do not open a browser')
    .option('--server <host:port>', 'skip discovery: straight to the login room of this server')
    .option('--name <name>', 'your name in the chat (default: the last one you used)')
    .option('--password <pw>', "the server's join password (default: from the server's advert)")
    .option('--config <dir>', 'config dir with your identity, known_servers and ui.json (default: $XDG_CONFIG_HOME/parlor)')
    .option('--data <dir>', 'where received pictures and (by default) files go (default: $XDG_DATA_HOME/parlor)')
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--downloads <dir>', 'where files others send you are saved (default: downloads/ in the data dir)')
    .option('--max-auto-accept-bytes <n>', 'files up to this size are saved without asking (default: 1 GiB)', integerFlag('--max-auto-accept-bytes'))
    .action(async (flags: WebFlags) => {
      const configDir = flags.config ?? defaultConfigDir();
      const session = new WebSession(
        {
          configDir,
          dataDir: flags.data ?? defaultDataDir(),
          ...(flags.server !== undefined && { server: flags.server }),
          ...(flags.name !== undefined && { name: flags.name }),
          ...(flags.password !== undefined && { password: flags.password }),
          ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
          acceptNewKey: flags.acceptNewKey === true,
          discovery: discoveryOptions(flags),
          hosting: { ...(flags.serveHost !== undefined && { host: flags.serveHost }), port: flags.servePort, discoveryPort: flags.discoveryPort, mdns: flags.mdns },
          ...(flags.downloads !== undefined && { downloadsDir: resolve(flags.downloads) }),
          ...(flags.maxAutoAcceptBytes !== undefined && { maxAutoAcceptBytes: flags.maxAutoAcceptBytes }),
        },
        loadOrCreateClientIdentity(configDir),
        loadSettings(configDir),
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
