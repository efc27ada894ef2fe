// The server's side of discovery: a UDP socket that answers each valid probe, unicast to the
// prober, with the advert. It is not a reflector: malformed probes are ignored, an advert is never
// larger than the probe it answers, and answers are rate-limited per source address.

import DgramAsPromised, { type SocketAsPromised } from 'dgram-as-promised';
import { TokenBucket } from '../token-bucket.ts';
import { decodeProbe, encodeAdvert, type AdvertFields } from './datagrams.ts';
import { probeInterfaces, sameSubnet } from './interfaces.ts';

export interface BeaconOptions {
  port: number;
  /** The address to listen on: all IPv4 interfaces by default, so broadcasts reach it. */
  host?: string;
  /** The advert as it stands now (users online change); `host` only when the operator fixed it (--advertise-address). */
  advert: () => AdvertFields;
}

const ANSWERS_PER_SECOND = 5;
const ANSWER_BURST = 10;
const MAX_TRACKED_SOURCES = 10_000;

export class DiscoveryBeacon {
  private readonly buckets = new Map<string, TokenBucket>();

  private constructor(
    private readonly socket: SocketAsPromised,
    private readonly options: BeaconOptions,
  ) {
    socket.socket.on('message', (message, remote) => void this.answer(message, remote.address, remote.port));
    // A send to a prober that went away must not take the server down with it.
    socket.socket.on('error', () => {});
  }

  static async start(options: BeaconOptions): Promise<DiscoveryBeacon> {
    // reuseAddr: several servers on one host can all listen, and all answer a broadcast probe.
    const socket = DgramAsPromised.createSocket({ type: 'udp4', reuseAddr: true });
    await socket.bind({ port: options.port, address: options.host ?? '0.0.0.0' });
    return new DiscoveryBeacon(socket, options);
  }

  get port(): number {
    return this.socket.address().port;
  }

  close(): Promise<void> {
    return this.socket.close().catch(() => undefined);
  }

  private async answer(message: Buffer, address: string, port: number): Promise<void> {
    const nonce = decodeProbe(message);
    if (!nonce || !this.allow(address)) return;
    try {
      const advert = encodeAdvert(nonce, { ...hostFor(address), ...this.options.advert() }, message.length);
      if (advert) await this.socket.send(advert, port, address);
    } catch {
      // No advert to give yet, or an unreachable prober: a probe is never worth a crash; the
      // prober asks again within its window.
    }
  }

  private allow(address: string): boolean {
    let bucket = this.buckets.get(address);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED_SOURCES) this.buckets.clear();
      this.buckets.set(address, (bucket = new TokenBucket(ANSWERS_PER_SECOND, ANSWER_BURST)));
    }
    return bucket.take().ok;
  }
}

/**
 * The server's address on the prober's own subnet, so that a multi-homed server answers with the
 * address the client can reach. Left out when no interface shares the subnet (the client then
 * uses the advert's source address, which the kernel chose by routing back to it).
 */
function hostFor(prober: string): { host?: string } {
  if (prober.startsWith('127.')) return { host: '127.0.0.1' };
  const match = probeInterfaces().find((info) => sameSubnet(info.address, prober, info.netmask));
  return match ? { host: match.address } : {};
}
