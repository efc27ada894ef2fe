// What both UIs (the terminal's and the browser's) are started with, and where a login goes:
// one declaration, so that a flag added for one reaches the other's type too.

import type { DiscoverOptions } from '../discovery/discover.ts';
import type { HostedServer, HostOptions } from './host-server.ts';

export interface ChatUiOptions {
  configDir: string;
  dataDir: string;
  /** HOST:PORT: straight to the login room. */
  server?: string;
  name?: string;
  password?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  discovery: DiscoverOptions;
  hosting: HostOptions;
  /** Where received files go (default: downloads/ in the data dir). */
  downloadsDir?: string;
  /** Offers up to this size are saved without asking (default: FileTransfers' 1 GiB). */
  maxAutoAcceptBytes?: number;
}

/** A server to log in to: from discovery, typed by hand, or hosted here. */
export interface LoginTarget {
  host: string;
  port: number;
  /** From the advert or the hosted server: the key the server must present. */
  fingerprint?: string;
  serverName?: string;
  password?: string;
  /** What known_servers said of its key before login, for the status bar. */
  trust?: string;
  /** Set when it was started from this UI. */
  hosted?: HostedServer;
}
