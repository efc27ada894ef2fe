// The flags every client verb shares, and the one way those verbs connect and log in.

import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { ChatClient } from '../client/chat-client.ts';
import { inertText } from '../shared/inert-text.ts';
import { releaseWords } from '../protocol/operator-notices.ts';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { ParlorError } from '../protocol/errors.ts';
import { defaultConfigDir, parseServerAddress } from '../options.ts';

export interface ClientFlags {
  server?: string;
  name?: string;
  password?: string;
  config?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  data?: string;
  replace?: boolean;
}

export function addClientFlags(command: Command): Command {
  return command
    .option('--server <host:port>', 'the server to use')
    .option('--name <name>', 'your name in the chat (default: your login name)')
    .option('--password <pw>', "the server's join password")
    .option('--config <dir>', 'config dir with your identity and known_servers (default: $XDG_CONFIG_HOME/parlor)')
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--data <dir>', 'where received pictures and exports go (default: $XDG_DATA_HOME/parlor)')
    .option('--replace', "log this identity's other sessions out (SESSION_REPLACED) instead of adding one more");
}

/** Connects and logs in; reconnects are off, since a one-shot verb should fail rather than wait. */
export async function connectFromFlags(flags: ClientFlags, reconnect = false): Promise<ChatClient> {
  if (flags.server === undefined) throw new ParlorError('BAD_OPTION', '--server HOST:PORT is needed (discovery comes later)');
  if (flags.password === undefined) throw new ParlorError('BAD_OPTION', "--password is needed: the server's join password");
  const { host, port } = parseServerAddress(flags.server);
  const configDir = flags.config ?? defaultConfigDir();
  const chat = await ChatClient.connect({
    host,
    port,
    configDir,
    identity: await loadOrCreateClientIdentity(configDir),
    name: flags.name ?? userInfo().username,
    password: flags.password,
    acceptNewKey: flags.acceptNewKey === true,
    reconnect,
    replace: flags.replace === true,
    ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
  });
  if (chat.released) process.stderr.write(inertText(`parlor: ${releaseWords(chat.name, chat.released)}`) + '\n');
  return chat;
}
