// What to tell a user when no server answered: every address probed (and how each send went),
// then the usual causes. Shared by `parlor discover` and the UI's waiting room.

import type { ProbeTarget } from './discover.ts';

export function noServerHints(targets: readonly ProbeTarget[], options: { timeoutMs: number; discoveryPort: number }): string[] {
  const tried = targets.length === 0
    ? ['  (no addresses: broadcast probes were turned off)']
    : targets.map((t) => `  ${t.kind === 'mdns' ? `mDNS browse for ${t.address}` : t.kind === 'scan' ? `scan of ${t.address}` : `${t.address}:${options.discoveryPort}`} from ${t.from}${t.error ? `: ${t.error}` : ''}`);
  return [
    `No parlor server answered within ${options.timeoutMs} ms. Probed:`,
    ...tried,
    // One thought a line, none over 80 columns: stderr and the UI's pane both wrap well then.
    'Usual causes:',
    `  a firewall dropping UDP port ${options.discoveryPort} on either side;`,
    '  Wi-Fi client isolation, or a VLAN that filters broadcast;',
    '  a VPN or container interface in the way (pick the LAN one with --interface);',
    '  a server started with --no-discovery.',
    'Where broadcast is filtered but unicast passes, try --scan.',
    'A server can always be reached directly: parlor ... --server HOST:PORT.',
  ];
}
