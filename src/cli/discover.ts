import type { Command } from 'commander';
import { DEFAULT_DISCOVERY_PORT } from '../discovery/datagrams.ts';
import { discoverServers, type DiscoveredServer, type ProbeTarget } from '../discovery/discover.ts';
import { noServerHints } from '../discovery/hints.ts';
import { formatAddress } from '../options.ts';
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
  let count = 0;
  // A line of text cannot be updated once printed: a server that only mDNS has answered so far
  // (no count of users) waits for its broadcast answer, or for the end of the window.
  const held = new Map<string, DiscoveredServer>();
  const waitForBroadcast = flags.broadcast !== false;
  for await (const server of discoverServers(
    {
      ...discoveryOptions(flags),
      onSendError: (target, error) => process.stderr.write(`parlor: cannot probe ${target}: ${error.message}\n`),
    },
    targets,
  )) {
    if (!server.update) count++;
    if (flags.json) {
      const { update, ...fields } = server;
      printJson({ event: update ? 'update' : 'server', ...fields });
    } else if (server.users === undefined && waitForBroadcast) {
      held.set(server.fingerprint, server);
    } else if (!server.update || held.delete(server.fingerprint)) {
      printRow(server);
    }
  }
  for (const server of held.values()) printRow(server);
  if (count === 0 && !flags.json) {
    console.error(noServerHints(targets, { timeoutMs: flags.timeout, discoveryPort: flags.discoveryPort }).join('\n'));
  }
  process.exit(0);
}

function printRow(server: DiscoveredServer): void {
  const password = server.password === undefined ? 'private (ask the operator for the password)' : `password ${server.password}`;
  console.log(inertText(`${server.name} at ${formatAddress(server.host, server.port)}  ${server.fingerprint}  ${server.users === undefined ? 'users unknown' : `${server.users} online`}  ${password}${server.sshPort === undefined ? '' : `  ssh -p ${server.sshPort}`}  (${server.via})`));
}
