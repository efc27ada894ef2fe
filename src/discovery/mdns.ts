// mDNS / DNS-SD with bonjour-service: the server publishes `_parlor._tcp` with the advert's fields
// in TXT records, and the client browses for it. It is the second path, not the only one: on a
// host with no default route bonjour-service sends nothing (measured in namespaces), where the
// UDP broadcast still works. bonjour-service is imported at the first publish or browse, so that
// commands and servers that do neither never load it.

import type { Bonjour } from 'bonjour-service';
import { hostname } from 'node:os';
import { advertFields, type AdvertFields } from './datagrams.ts';
import { sameSubnet, type ProbeInterface } from './interfaces.ts';

export const MDNS_SERVICE_TYPE = 'parlor';

let loadedBonjour: Promise<typeof Bonjour> | undefined;
const bonjourModule = () => (loadedBonjour ??= import('bonjour-service').then((module) => module.Bonjour));

export interface MdnsPublication {
  stop(): Promise<void>;
}

/** A DNS label's limit (RFC 1035), which the service instance name is one of. */
const LABEL_MAX_BYTES = 63;

/**
 * The service instance name: one DNS label, told apart from other servers' by a piece of the
 * fingerprint, and for the servers of one chat (which share the name and key) by host and port.
 * Only a label: the display name travels whole in TXT. bonjour-service splits a name at dots and
 * writes a longer label's length over the label-type bits, so a dot becomes "-" and the name is cut
 * to fit.
 */
export function mdnsInstanceName(fields: { name: string; server?: string; fingerprint: string; chat?: string }, port: number, host = mdnsHostName()): string {
  const tag = fields.fingerprint.slice(7, 15);
  const suffix = fields.chat === undefined ? ` ${tag}` : ` ${tag} ${host.replace(/\.local$/, '')}-${port}`;
  const base = (fields.server ?? fields.name).replace(/\./g, '-');
  return truncateUtf8(base, Math.max(0, LABEL_MAX_BYTES - Buffer.byteLength(suffix))) + truncateUtf8(suffix, LABEL_MAX_BYTES);
}

/** The longest prefix of `text` within `maxBytes` of UTF-8, never cutting a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let out = '';
  for (const char of text) {
    if (Buffer.byteLength(out + char) > maxBytes) break;
    out += char;
  }
  return out;
}

/**
 * Publishes the server. The TXT record has the advert's fields but the count of users online:
 * bonjour-service builds its records once, at announce time, so a count would be frozen there, and
 * re-announcing at every login would churn every browser on the LAN. The UDP advert carries the
 * live count. `host` is there only when the server was told what to advertise
 * (--advertise-address): otherwise the browser takes the address the answer came with.
 */
export function publishMdns(fields: Omit<AdvertFields, 'users'>, onProblem: (error: Error) => void = () => {}): MdnsPublication {
  const txt: Record<string, string> = {
    name: fields.name,
    fingerprint: fields.fingerprint,
    protocol: String(fields.protocol),
    ...(fields.host !== undefined && { host: fields.host }),
    ...(fields.password !== undefined && { password: fields.password }),
    ...(fields.sshPort !== undefined && { sshport: String(fields.sshPort) }),
    ...(fields.chat !== undefined && { chat: fields.chat }),
    ...(fields.server !== undefined && { server: fields.server }),
  };
  const published = bonjourModule().then((BonjourService) => {
    const bonjour = new BonjourService(undefined, () => {});
    bonjour.publish({
      name: mdnsInstanceName(fields, fields.port),
      type: MDNS_SERVICE_TYPE,
      port: fields.port,
      // The SRV target must be a name other resolvers can look up (avahi, Apple's mDNSResponder):
      // HOST.local, answered with an A and an AAAA record per address. A bare host name, as
      // bonjour-service uses by default, lists the service but never resolves it.
      host: mdnsHostName(),
      disableIPv6: false,
      txt,
    });
    return bonjour;
  });
  published.catch(onProblem);
  return {
    // Withdraws the service (goodbye packets with TTL 0) before the socket closes.
    stop: () =>
      published.then(
        (bonjour) => new Promise<void>((resolve) => bonjour.unpublishAll(() => bonjour.destroy(() => resolve()))),
        () => undefined,
      ),
  };
}

/** This host's name in `.local`: the first label of its host name, as a DNS label (RFC 6762). */
export function mdnsHostName(name = hostname()): string {
  const label = (name.split('.')[0] ?? '').replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  return `${label === '' ? 'parlor' : label}.local`;
}

export interface MdnsBrowser {
  stop(): void;
}

/**
 * Browses for parlor servers; each answer that validates is handed on (duplicates included).
 * Given interfaces (--interface), it asks on those only, one socket each, and drops answers from
 * outside their subnets: a Linux socket hears a group's multicast from every interface any socket
 * joined it on.
 */
export function browseMdns(onServer: (fields: Omit<AdvertFields, 'users'>) => void, only?: readonly ProbeInterface[], onProblem: (error: Error) => void = () => {}): MdnsBrowser {
  if (only === undefined) return browseOn(undefined, onServer, onProblem);
  const browsers = only.map((info) => browseOn(info, onServer, onProblem));
  return { stop: () => {
    for (const browser of browsers) browser.stop();
  } };
}

function browseOn(only: ProbeInterface | undefined, onServer: (fields: Omit<AdvertFields, 'users'>) => void, onProblem: (error: Error) => void): MdnsBrowser {
  let stopped = false;
  const browsing = bonjourModule().then((BonjourService) => {
    if (stopped) return undefined;
    // Bonjour hands its options to multicast-dns, whose `interface` picks the one interface to join
    // the group on and send from (its types name only the service fields). Bound to 0.0.0.0, not the
    // interface's address: a socket bound to a unicast address receives no multicast.
    const socketOptions = only && { interface: only.address, bind: '0.0.0.0' };
    const bonjour = new BonjourService(socketOptions as ConstructorParameters<typeof Bonjour>[0], () => {});
    const onLink = (address: string) => only === undefined || sameSubnet(address, only.address, only.netmask);
    const browser = bonjour.find({ type: MDNS_SERVICE_TYPE }, (service) => {
      if (only && !onLink(service.referer?.address ?? '')) return;
      const txt = (service.txt ?? {}) as Record<string, unknown>;
      const ipv4 = (service.addresses ?? []).filter((address) => /^\d+\.\d+\.\d+\.\d+$/.test(address));
      // The address the server was told to advertise, else its own on this link, else the sender's.
      const host = (typeof txt.host === 'string' ? txt.host : undefined) ?? ipv4.find(onLink) ?? service.referer?.address;
      const sshPort = typeof txt.sshport === 'string' && /^\d{1,5}$/.test(txt.sshport) ? Number(txt.sshport) : undefined;
      const parsed = advertFields.omit({ users: true }).safeParse({
        name: txt.name,
        ...(host !== undefined && { host }),
        port: service.port,
        fingerprint: txt.fingerprint,
        ...(typeof txt.password === 'string' && { password: txt.password }),
        ...(sshPort !== undefined && { sshPort }),
        protocol: Number(txt.protocol),
        ...(typeof txt.chat === 'string' && { chat: txt.chat }),
        ...(typeof txt.server === 'string' && { server: txt.server }),
      });
      if (parsed.success) onServer(parsed.data);
    });
    return () => {
      browser.stop();
      bonjour.destroy();
    };
  });
  browsing.catch(onProblem);
  return {
    stop: () => {
      stopped = true;
      void browsing.then((stop) => stop?.(), () => undefined);
    },
  };
}
