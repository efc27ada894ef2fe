// What every screen of the UI shares: the blessed screen, the options it was started with, the
// remembered settings and the theme in use, and one way to leave that restores the terminal.

import type blessed from 'blessed';
import type { ClientIdentity } from '../crypto/identity.ts';
import type { ColorDepth } from '../shared/color-depth.ts';
import type { ChatUiOptions } from '../shared/chat-options.ts';
import type { UiSettings } from '../shared/settings.ts';
import type { Theme } from '../shared/themes.ts';

export type { LoginTarget } from '../shared/chat-options.ts';

/** The terminal UI's options: the ones both UIs share, and the terminal's own. */
export interface UiOptions extends ChatUiOptions {
  /** Log this identity's other sessions out at login instead of adding one more. */
  replace?: boolean;
  /** Open !enlightenme links in the browser (else only show them). */
  openLinks: boolean;
  mouse: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * Set when this UI runs inside the server for an SSH visitor (src/ssh): files and exports would
   * touch the server's disk, not the visitor's, so those commands answer with this reason instead.
   */
  noLocalFiles?: string;
  /**
   * Entries kept in memory per conversation, older ones coming back from the server with PageUp
   * (ConversationList.trim); unset: all. Set for SSH visitors, whose screens share one server.
   */
  keptEntries?: number;
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
