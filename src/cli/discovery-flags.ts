// The discovery flags that `parlor discover` and the UI share (`--timeout`, `--interface`,
// `--broadcast`/`--no-broadcast`, `--scan`, `--no-mdns`, `--discovery-port`), turned into
// discoverServers() options in one place.

import type { DiscoverOptions } from '../discovery/discover.ts';

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
