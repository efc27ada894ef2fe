// mDNS / DNS-SD with bonjour-service: the server publishes `_parlor._tcp` with the advert's fields
// in TXT records, and the client browses for it. It is the second path, not the only one: on a
// host with no default route bonjour-service sends nothing (measured in namespaces), where the
// UDP broadcast still works.

import { Bonjour } from 'bonjour-service';
import { advertFields, type AdvertFields } from './datagrams.ts';

export const MDNS_SERVICE_TYPE = 'parlor';

export interface MdnsPublication {
  stop(): Promise<void>;
}

/**
 * Publishes the server. The instance name carries a piece of the fingerprint, so two servers of
 * the same name on one LAN do not collide; the display name travels in TXT.
 */
/**
 * The TXT record has the advert's fields but the count of users online: bonjour-service builds its
 * records once, at announce time, so a count would be frozen there, and re-announcing at every
 * login would churn every browser on the LAN. The UDP advert carries the live count.
 */
export function publishMdns(fields: Omit<AdvertFields, 'host' | 'users'>): MdnsPublication {
  const bonjour = new Bonjour(undefined, () => {});
  const txt: Record<string, string> = {
    name: fields.name,
    fingerprint: fields.fingerprint,
    protocol: String(fields.protocol),
    ...(fields.password !== undefined && { password: fields.password }),
    ...(fields.chat !== undefined && { chat: fields.chat }),
  };
  bonjour.publish({
    name: `${fields.name} ${fields.fingerprint.slice(7, 15)}`,
    type: MDNS_SERVICE_TYPE,
    port: fields.port,
    disableIPv6: true,
    txt,
  });
  return {
    // Withdraws the service (goodbye packets with TTL 0) before the socket closes.
    stop: () => new Promise((resolve) => bonjour.unpublishAll(() => bonjour.destroy(() => resolve()))),
  };
}

export interface MdnsBrowser {
  stop(): void;
}

/** Browses for parlor servers; each answer that validates is handed on (duplicates included). */
export function browseMdns(onServer: (fields: Omit<AdvertFields, 'users'>) => void): MdnsBrowser {
  const bonjour = new Bonjour(undefined, () => {});
  const browser = bonjour.find({ type: MDNS_SERVICE_TYPE }, (service) => {
    const txt = (service.txt ?? {}) as Record<string, unknown>;
    const host = service.addresses?.find((address) => /^\d+\.\d+\.\d+\.\d+$/.test(address)) ?? service.referer?.address;
    const parsed = advertFields.omit({ users: true }).safeParse({
      name: txt.name,
      ...(host !== undefined && { host }),
      port: service.port,
      fingerprint: txt.fingerprint,
      ...(typeof txt.password === 'string' && { password: txt.password }),
      protocol: Number(txt.protocol),
      ...(typeof txt.chat === 'string' && { chat: txt.chat }),
    });
    if (parsed.success) onServer(parsed.data);
  });
  return {
    stop: () => {
      browser.stop();
      bonjour.destroy();
    },
  };
}
