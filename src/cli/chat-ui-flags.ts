// The flags that both chat UIs take, `parlor` (the terminal UI) and `parlor web`, and the
// ChatUiOptions made from them: declared once, so a flag added for one reaches the other.

import type { Command } from 'commander';
import { resolve } from 'node:path';
import { defaultConfigDir, defaultDataDir } from '../options.ts';
import type { ChatUiOptions } from '../shared/chat-options.ts';
import { addWaitingRoomFlags, discoveryOptions, type DiscoveryFlags } from './discovery-flags.ts';
import { integerFlag } from './output.ts';

export interface ChatUiFlags extends DiscoveryFlags {
  server?: string;
  name?: string;
  password?: string;
  config?: string;
  data?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  serveHost?: string;
  servePort: number;
  downloads?: string;
  maxAutoAcceptBytes?: number;
}

/** The waiting room's flags, who to be and where things go; `data` says what this UI keeps in the data dir. */
export function addChatUiFlags(command: Command, data: string): Command {
  return addWaitingRoomFlags(command)
    .option('--server <host:port>', 'skip discovery: straight to the login room of this server')
    .option('--name <name>', 'your name in the chat (default: the last one you used)')
    .option('--password <pw>', "the server's join password (default: from the server's advert)")
    .option('--config <dir>', 'config dir with your identity, known_servers and ui.json (default: $XDG_CONFIG_HOME/parlor)')
    .option('--data <dir>', `where ${data} go (default: $XDG_DATA_HOME/parlor)`)
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--downloads <dir>', 'where files others send you are saved (default: downloads/ in the data dir)')
    .option('--max-auto-accept-bytes <n>', 'files up to this size are saved without asking; larger ones wait to be accepted (default: 1 GiB)', integerFlag('--max-auto-accept-bytes'));
}

export function chatUiOptions(flags: ChatUiFlags): ChatUiOptions {
  return {
    configDir: flags.config ?? defaultConfigDir(),
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
  };
}
