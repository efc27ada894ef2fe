// The discovery flags that `parlor discover` and the UI share (`--timeout`, `--interface`,
// `--broadcast`/`--no-broadcast`, `--scan`, `--no-mdns`, `--discovery-port`), turned into
// discoverServers() options in one place.

import type { Command } from 'commander';
import { DEFAULT_DISCOVERY_PORT } from '../discovery/datagrams.ts';
import type { DiscoverOptions } from '../discovery/discover.ts';
import { DEFAULT_PORT } from '../options.ts';
import { integerFlag, repeatable } from './output.ts';

export interface DiscoveryFlags {
  timeout: number;
  interface: string[];
  /** The addresses given with --broadcast, or false for --no-broadcast. */
  broadcast: string[] | false;
  scan?: boolean;
  mdns: boolean;
  discoveryPort: number;
}

export function discoveryOptions(flags: DiscoveryFlags): DiscoverOptions {
  return {
    timeoutMs: flags.timeout,
    discoveryPort: flags.discoveryPort,
    broadcast: flags.broadcast === false ? [] : flags.broadcast,
    interfaces: flags.interface,
    noBroadcast: flags.broadcast === false,
    scan: flags.scan === true,
    mdns: flags.mdns,
  };
}

/**
 * The flags of a waiting room, the terminal UI's and the web client's alike: where to look for
 * servers, and where "host a server here" listens.
 */
export function addWaitingRoomFlags(command: Command): Command {
  return command
    .option('--timeout <ms>', 'how long the waiting room listens for servers', integerFlag('--timeout'), 3000)
    .option('--interface <name>', 'probe only from this interface (repeatable)', repeatable, [])
    .option('--broadcast <addr>', 'probe this address instead of every interface broadcast (repeatable)', repeatable, [])
    .option('--no-broadcast', 'send no broadcast probes')
    .option('--scan', 'also probe every address of each local subnet (/24 or smaller) by unicast')
    .option('--no-mdns', 'do not browse mDNS (nor publish it from a server hosted here)')
    .option('--discovery-port <n>', 'the UDP port servers answer on (and a hosted server answers on)', integerFlag('--discovery-port'), DEFAULT_DISCOVERY_PORT)
    .option('--serve-host <addr>', '"host a server here" listens on this address (default: every interface)')
    .option('--serve-port <n>', '"host a server here" uses this TCP port (0: a free one)', integerFlag('--serve-port'), DEFAULT_PORT);
}
