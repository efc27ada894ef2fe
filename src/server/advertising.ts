// How a listening server makes itself known on the LAN: the discovery beacon that answers probes
// and the mDNS advert. Both are conveniences: when one cannot start, the server still runs
// (HOST:PORT always works) and says why. The listener (server.ts) knows nothing of adverts.

import { DiscoveryBeacon } from '../discovery/beacon.ts';
import type { AdvertFields } from '../discovery/datagrams.ts';
import { publishMdns, type MdnsPublication } from '../discovery/mdns.ts';
import type { ServerOptions } from '../options.ts';
import { PROTOCOL_VERSION } from '../protocol/constants.ts';
import type { ServerEvent } from './events.ts';

/** What the adverts say, read when each advert is built (the users online change all the time). */
interface AdvertisedServer {
  readonly options: Pick<ServerOptions, 'name' | 'discovery' | 'discoveryPort' | 'mdns' | 'private' | 'advertiseAddress'>;
  readonly fingerprint: string;
  readonly password: string;
  /** The bound TCP port: adverts start only once the server listens. */
  port(): number;
  users(): number;
  /** The SSH front door's port, when the server has one. */
  sshPort(): number | undefined;
  /** The chat this server is one of, when it shares a database with others. */
  cluster(): { chatName: string; chatId: string } | undefined;
}

export class ServerAdvertising {
  private beacon: DiscoveryBeacon | undefined;
  private mdns: MdnsPublication | undefined;

  constructor(
    private readonly server: AdvertisedServer,
    private readonly report: (event: ServerEvent) => void,
  ) {}

  /** Starts what the options ask for; a part that cannot start is reported, never thrown. */
  async start(): Promise<void> {
    await this.startBeacon();
    this.startMdns();
  }

  /** The UDP port that answers probes, or null when discovery is off or unavailable. */
  get discoveryPort(): number | null {
    return this.beacon?.port ?? null;
  }

  get mdnsPublished(): boolean {
    return this.mdns !== undefined;
  }

  /** Stops answering probes; resolves once the beacon's socket is closed and the mDNS goodbye packets are out. */
  async stop(): Promise<void> {
    await Promise.all([this.beacon?.close(), this.mdns?.stop()]);
  }

  /** What discovery calls this server: the chat's name and id when it is one of several, and then its own name if that differs. */
  private advertisedNames(): { name: string; chat?: string; server?: string } {
    const { name } = this.server.options;
    const cluster = this.server.cluster();
    if (!cluster) return { name };
    return { name: cluster.chatName, chat: cluster.chatId, ...(cluster.chatName !== name && { server: name }) };
  }

  /** What both adverts say, the UDP one and mDNS's TXT (which leaves out the users online: mdns.ts). */
  private advertFields(): Omit<AdvertFields, 'users'> {
    const { options } = this.server;
    const sshPort = this.server.sshPort();
    return {
      ...this.advertisedNames(),
      ...(options.advertiseAddress !== undefined && { host: options.advertiseAddress }),
      port: this.server.port(),
      fingerprint: this.server.fingerprint,
      ...(!options.private && { password: this.server.password }),
      ...(sshPort !== undefined && { sshPort }),
      protocol: PROTOCOL_VERSION,
    };
  }

  private async startBeacon(): Promise<void> {
    const { options } = this.server;
    if (!options.discovery) return;
    try {
      this.beacon = await DiscoveryBeacon.start({
        port: options.discoveryPort,
        advert: () => ({ ...this.advertFields(), users: this.server.users() }),
      });
    } catch (error) {
      this.report({ event: 'discovery_unavailable', reason: (error as Error).message });
    }
  }

  private startMdns(): void {
    const { options } = this.server;
    if (!options.mdns) return;
    try {
      this.mdns = publishMdns(this.advertFields(), (error) => this.report({ event: 'discovery_unavailable', reason: `mDNS: ${error.message}` }));
    } catch (error) {
      this.report({ event: 'discovery_unavailable', reason: `mDNS: ${(error as Error).message}` });
    }
  }
}
