// What every screen of the UI shares: the blessed screen, the options it was started with, the
// remembered settings and the theme in use, and one way to leave that restores the terminal.

import type blessed from 'blessed';
import type { ClientIdentity } from '../crypto/identity.ts';
import type { DiscoverOptions } from '../discovery/discover.ts';
import type { ColorDepth } from '../shared/color-depth.ts';
import type { HostedServer, HostOptions } from '../shared/host-server.ts';
import type { UiSettings } from '../shared/settings.ts';
import type { Theme } from '../shared/themes.ts';

export interface UiOptions {
  configDir: string;
  dataDir: string;
  /** HOST:PORT: straight to the login room. */
  server?: string;
  name?: string;
  password?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  /** Log this identity's other sessions out at login instead of adding one more. */
  replace?: boolean;
  discovery: DiscoverOptions;
  hosting: HostOptions;
  /** Open !enlightenme links in the browser (else only show them). */
  openLinks: boolean;
  mouse: boolean;
  env: NodeJS.ProcessEnv;
  /** Where received files go (default: downloads/ in the data dir). */
  downloadsDir?: string;
  /** Offers up to this size are saved without asking (default: FileTransfers' 1 GiB). */
  maxAutoAcceptBytes?: number;
  /**
   * Set when this UI runs inside the server for an SSH visitor (src/ssh): files and exports would
   * touch the server's disk, not the visitor's, so those commands answer with this reason instead.
   */
  noLocalFiles?: string;
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

export interface UiContext {
  screen: blessed.Widgets.Screen;
  options: UiOptions;
  identity: ClientIdentity;
  settings: UiSettings;
  theme: Theme;
  /** What the terminal really shows (blessed is told, as it misreads tmux's and screen's TERM). */
  colorDepth: ColorDepth;
  /** Saves the settings to the config dir (theme, bell, last name). */
  saveSettings(): void;
  /**
   * Ends the UI: `beforeQuit` first (at most a second: files being received are deleted), then the
   * hosted server stopped, the connection closed, the terminal restored.
   */
  quit(code?: number): void;
  beforeQuit?: () => Promise<void>;
}
