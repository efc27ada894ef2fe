// The client's side of discovery: probes go to every IPv4 interface's directed broadcast address,
// each from a socket bound to that interface's address, and to 255.255.255.255 (alone it fails on
// a host with no default route, and leaves by one interface only); or only to the addresses the
// user named with --broadcast. Probes are repeated within the window; answers are checked, merged
// by fingerprint, and yielded as each new server arrives.

import DgramAsPromised, { type SocketAsPromised } from 'dgram-as-promised';
import { decodeAdvert, DEFAULT_DISCOVERY_PORT, encodeProbe } from './datagrams.ts';
import { checkInterfaceNames, probeInterfaces, subnetHosts } from './interfaces.ts';
import { browseMdns, type MdnsBrowser } from './mdns.ts';
import { DiscoveredServers } from './merge.ts';

export interface DiscoveredServer {
  name: string;
  /** Where to connect: the advert's host, or the address its answer came from. */
  host: string;
  port: number;
  fingerprint: string;
  /** The join password; absent from a --private server. */
  password?: string;
  protocol: number;
  /** Users online, from the UDP advert (mDNS does not carry the live count). */
  users?: number;
  /** The SSH front door's port, when the server runs `--ssh` (from the UDP advert). */
  sshPort?: number;
  /** How it was found, e.g. "broadcast 192.0.2.255 (eth0)". */
  via: string;
  /**
   * Set when a server is yielded again: a later answer filled in what the first lacked (the
   * users online, when mDNS answered first). It replaces the earlier one of its fingerprint.
   */
  update?: true;
  /** The chat's id when it runs on several servers: they share it and their key, so they list as one. */
  chat?: string;
  /** With `chat`: this server's own name among the chat's servers, when it differs from the chat's name. */
  server?: string;
}

export interface DiscoverOptions {
  timeoutMs?: number;
  discoveryPort?: number;
  /** Probe only these addresses (e.g. 127.255.255.255), instead of every interface's broadcast. */
  broadcast?: readonly string[];
  /** Probe, and browse mDNS, only on these interfaces; an unknown one is BAD_OPTION. */
  interfaces?: readonly string[];
  /** Send no broadcast at all (mDNS, when it comes, or nothing). */
  noBroadcast?: boolean;
  /**
   * Also probe every address of each local subnet of /24 or smaller by unicast, paced, for networks
   * that filter broadcast but pass unicast (some Wi-Fi, VLANs).
   */
  scan?: boolean;
  /** Also browse mDNS for `_parlor._tcp` (off unless asked for: it multicasts on every interface). */
  mdns?: boolean;
  /** Told once per target that a send failed (ENETUNREACH, ...), so the others still go out. */
  onSendError?: (target: string, error: Error) => void;
}

/** Every address probed, with how, and what went wrong: for the "nothing found" hints. */
export interface ProbeTarget {
  address: string;
  from: string;
  error?: string;
  /** What was probed: one broadcast address (the default), a subnet swept by --scan, or mDNS. */
  kind?: 'scan' | 'mdns';
}

/** Seconds into the window at which probes are sent again: lost datagrams are common on Wi-Fi. */
const RESEND_AT_MS = [0, 250, 1000];
/** A scan sends at most this many probes a second: polite to the network and to the beacons. */
const SCAN_PER_SECOND = 250;

export function plannedTargets(options: DiscoverOptions): ProbeTarget[] {
  if (options.noBroadcast) return [];
  if (options.broadcast && options.broadcast.length > 0) {
    return options.broadcast.map((address) => ({ address, from: '0.0.0.0' }));
  }
  // 255.255.255.255 is sent from each interface's own socket too: from a socket bound to 0.0.0.0
  // it fails without a default route, and leaves by the default route's interface only, even
  // when the user named another one.
  return probeInterfaces(options.interfaces).flatMap((info) => [
    { address: info.broadcast, from: info.address },
    { address: '255.255.255.255', from: info.address },
  ]);
}

/**
 * Streams the servers that answer within the window, each once, and again (marked `update`) when
 * a later answer adds what the first lacked. `targets` (if given) is filled with what was probed
 * and how each send went.
 */
export async function* discoverServers(options: DiscoverOptions = {}, targets: ProbeTarget[] = []): AsyncGenerator<DiscoveredServer> {
  const only = options.interfaces !== undefined && options.interfaces.length > 0 ? options.interfaces : undefined;
  if (only) checkInterfaceNames(only);
  const timeoutMs = options.timeoutMs ?? 2000;
  const port = options.discoveryPort ?? DEFAULT_DISCOVERY_PORT;
  targets.push(...plannedTargets(options));
  // Scan probes go from each interface's own socket; they are listed once per subnet in targets.
  const scans = options.scan ? probeInterfaces(options.interfaces).map((info) => ({ info, hosts: subnetHosts(info) })) : [];
  for (const { info, hosts } of scans) {
    targets.push({ address: `${hosts.length} addresses of ${info.address}/${info.netmask}`, from: info.address, kind: 'scan' });
  }
  const found = new DiscoveredServers();
  const queue: DiscoveredServer[] = [];
  let wake: (() => void) | undefined;
  /** The first answer for a key is yielded at once, whichever path it came by; a richer one later updates it. */
  const accept = (server: DiscoveredServer) => {
    const outcome = found.accept(server);
    if (outcome === undefined) return;
    queue.push(outcome === 'new' ? server : { ...found.get(server)!, update: true });
    wake?.();
  };
  const { bytes: probe, nonce } = encodeProbe();
  // Scan probes carry a nonce of their own, so an answer says which kind of probe it answers.
  const { bytes: scanProbe, nonce: scanNonce } = encodeProbe();
  const sweep = scans.flatMap(({ info, hosts }) => hosts.map((address) => ({ address, from: info.address })));

  // One socket per source address: a broadcast leaves by the interface its socket is bound to.
  const sockets = new Map<string, SocketAsPromised>();
  for (const from of new Set(targets.filter((t) => t.kind !== 'mdns').map((t) => t.from))) {
    const socket = DgramAsPromised.createSocket('udp4');
    socket.socket.on('error', () => {});
    try {
      await socket.bind({ port: 0, address: from });
      socket.setBroadcast(true);
    } catch (error) {
      for (const target of targets) if (target.from === from) target.error = (error as Error).message;
      await socket.close().catch(() => undefined);
      continue;
    }
    socket.socket.on('message', (message, remote) => {
      const advert = decodeAdvert(message);
      if (!advert) return;
      const byScan = advert.nonce.equals(scanNonce) && sweep.length > 0;
      if (!byScan && !advert.nonce.equals(nonce)) return;
      // The answer says which socket, not which of its sends: name those that went out.
      const sent = targets.filter((t) => t.from === from && t.error === undefined && t.kind === undefined).map((t) => t.address);
      accept({
        ...advert.fields,
        host: advert.fields.host ?? remote.address,
        via: byScan ? `unicast scan from ${from}` : `broadcast ${sent.join(' or ') || '?'}${from === '0.0.0.0' ? '' : ` from ${from}`}`,
      });
    });
    sockets.set(from, socket);
  }

  // mDNS answers are merged with the broadcast ones by fingerprint, whichever comes first.
  let browser: MdnsBrowser | undefined;
  if (options.mdns) {
    targets.push({ address: '_parlor._tcp.local', from: only ? only.join(', ') : 'every interface', kind: 'mdns' });
    browser = browseMdns((fields) => {
      if (fields.host !== undefined) accept({ ...fields, host: fields.host, via: 'mdns' });
    }, only && probeInterfaces(only));
  }

  const timers: NodeJS.Timeout[] = [];
  const send = () => {
    for (const target of targets) {
      const socket = sockets.get(target.from);
      if (!socket || target.kind !== undefined) continue;
      socket.send(probe, port, target.address).catch((error: Error) => {
        if (target.error === undefined) {
          target.error = error.message;
          options.onSendError?.(target.address, error);
        }
      });
    }
  };
  for (const at of RESEND_AT_MS) if (at < timeoutMs) timers.push(setTimeout(send, at));
  // The scan: one unicast probe per address, paced, interleaved across interfaces, bounded by the
  // window (what does not fit in it is not sent).
  sweep.forEach(({ address, from }, index) => {
    const at = Math.floor((index * 1000) / SCAN_PER_SECOND);
    if (at >= timeoutMs) return;
    timers.push(setTimeout(() => void sockets.get(from)?.send(scanProbe, port, address).catch(() => undefined), at));
  });
  let expired = false;
  timers.push(setTimeout(() => {
    expired = true;
    wake?.();
  }, timeoutMs));

  try {
    while (true) {
      const next = queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (expired) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    browser?.stop();
    for (const timer of timers) clearTimeout(timer);
    await Promise.all([...sockets.values()].map((socket) => socket.close().catch(() => undefined)));
  }
}
