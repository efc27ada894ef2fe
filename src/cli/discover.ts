import type { Command } from 'commander';
import { DEFAULT_DISCOVERY_PORT } from '../discovery/datagrams.ts';
import { discoverServers, type ProbeTarget } from '../discovery/discover.ts';
import { noServerHints } from '../discovery/hints.ts';
import { addressList, DiscoveredChats, type ListedChat } from '../shared/discovered-chats.ts';
import { inertText } from '../shared/inert-text.ts';
import { discoveryOptions, type DiscoveryFlags } from './discovery-flags.ts';
import { exitWithError, integerFlag, printJson, repeatable } from './output.ts';

interface DiscoverFlags extends DiscoveryFlags {
  json?: boolean;
}

export function registerDiscover(program: Command): void {
  program
    .command('discover')
    .description('list the parlor servers on this network as they answer')
    .option('--timeout <ms>', 'how long to listen for answers', integerFlag('--timeout'), 2000)
    .option('--json', 'one JSON object a line for each server found')
    .option('--interface <name>', 'probe and browse mDNS only on this interface (repeatable)', repeatable, [])
    .option('--broadcast <addr>', 'probe this address instead of every interface broadcast (repeatable)', repeatable, [])
    .option('--no-broadcast', 'send no broadcast probes')
    .option('--scan', 'also probe every address of each local subnet (/24 or smaller) by unicast, paced: for networks that filter broadcast')
    .option('--no-mdns', 'do not browse mDNS for _parlor._tcp')
    .option('--discovery-port <n>', 'the UDP port servers answer on', integerFlag('--discovery-port'), DEFAULT_DISCOVERY_PORT)
    .action((flags: DiscoverFlags) => discover(flags).catch(exitWithError));
}

async function discover(flags: DiscoverFlags): Promise<void> {
  const targets: ProbeTarget[] = [];
  // Servers of one chat (the same chat id and key) are listed as one chat with several addresses.
  const chats = new DiscoveredChats();
  // A line of text cannot be updated once printed: a server that only mDNS has answered so far
  // (no count of users) waits for its broadcast answer, or for the end of the window; a chat on
  // several servers waits for the end of the window, when all its addresses are in.
  const held = new Set<number>();
  const printed = new Set<number>();
  const waitForBroadcast = flags.broadcast !== false;
  for await (const server of discoverServers(
    {
      ...discoveryOptions(flags),
      onSendError: (target, error) => process.stderr.write(`parlor: cannot probe ${target}: ${error.message}\n`),
    },
    targets,
  )) {
    const { row, chat, isNew } = chats.add(server);
    if (flags.json) {
      printJson({ event: isNew ? 'server' : 'update', ...chat });
    } else if (printed.has(row)) {
      // Printed already: a later answer adds nothing a line could still say.
    } else if (chat.chat !== undefined || (chat.users === undefined && waitForBroadcast)) {
      held.add(row);
    } else {
      held.delete(row);
      printed.add(row);
      printRow(chat);
    }
  }
  for (const row of held) printRow(chats.chats[row]!);
  if (chats.chats.length === 0 && !flags.json) {
    console.error(noServerHints(targets, { timeoutMs: flags.timeout, discoveryPort: flags.discoveryPort }).join('\n'));
  }
  process.exit(0);
}

function printRow(chat: ListedChat): void {
  const password = chat.password === undefined ? 'private (ask the operator for the password)' : `password ${chat.password}`;
  const ssh = chat.addresses.flatMap((a) => (a.sshPort === undefined ? [] : [`ssh -p ${a.sshPort}${chat.addresses.length > 1 ? ` ${a.host}` : ''}`]));
  const via = [...new Set(chat.addresses.map((a) => a.via))].join('; ');
  console.log(inertText(`${chat.name} at ${addressList(chat)}  ${chat.fingerprint}  ${chat.users === undefined ? 'users unknown' : `${chat.users} online`}  ${password}${ssh.length === 0 ? '' : `  ${ssh.join(', ')}`}  (${via})`));
}
