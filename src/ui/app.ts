// The UI's life: the waiting room (unless --server), the login room, the chat room, and one way
// out (Ctrl-C, /quit, SIGTERM, SIGHUP) that closes the connection, ends a server hosted here and
// gives the terminal back as it was.

import blessed from 'blessed';
import { spawnSync } from 'node:child_process';
import type { ChatClient } from '../client/chat-client.ts';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { parseServerAddress } from '../options.ts';
import { ChatRoom } from './chat-room.ts';
import { blessedDepth, detectColorDepth } from '../shared/color-depth.ts';
import { coalesceRenders } from './frame-scheduler.ts';
import { fastScreenDraw } from './fast-screen-draw.ts';
import { loginRoom } from './login-room.ts';
import { installTerminalWidths } from './terminal-widths.ts';
import { loadSettings, saveSettings } from '../shared/settings.ts';
import { resolveTheme, type ThemeName } from '../shared/themes.ts';
import type { LoginTarget, UiContext, UiOptions } from './ui-context.ts';
import { waitingRoom } from './waiting-room.ts';

export async function runUi(options: UiOptions, themeOverride?: ThemeName): Promise<void> {
  const identity = await loadOrCreateClientIdentity(options.configDir);
  const settings = loadSettings(options.configDir);
  if (themeOverride !== undefined) settings.theme = themeOverride;
  // Box lines as UTF-8, not the VT100 alternate character set: blessed reads this ncurses variable,
  // and ACS shows as "lqqk" wherever it is not switched in (tmux panes, captures, some consoles).
  process.env.NCURSES_NO_UTF8_ACS ??= '1';
  // Emoji two columns wide, as the terminal shows them.
  installTerminalWidths();
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    // parlor draws half blocks, arrows and box lines itself: a terminal that cannot show UTF-8
    // could not show the chat's own text either.
    forceUnicode: true,
    title: 'parlor',
    autoPadding: true,
    warnings: false,
    // The terminal's own cursor stays hidden: fields draw theirs.
    cursor: { artificial: false, shape: 'block', blink: false, color: null as never },
  });
  const colorDepth = detectColorDepth(options.env, terminfoColors(options.env));
  // blessed reads tmux-256color and screen-256color as 8 colours: it is told what terminfo says.
  (screen as unknown as { tput: { colors: number } }).tput.colors = blessedDepth(colorDepth);
  screen.program.hideCursor();
  if (!options.mouse) screen.program.disableMouse();
  coalesceRenders(screen);
  fastScreenDraw(screen);

  let chat: ChatClient | undefined;
  let target: LoginTarget | undefined;
  let quitting = false;
  const ui: UiContext = {
    screen,
    options,
    identity,
    settings,
    theme: resolveTheme(settings.theme, options.env, blessedDepth(colorDepth)),
    colorDepth,
    saveSettings: () => {
      try {
        saveSettings(options.configDir, settings);
      } catch {
        // A read-only config dir loses the setting, not the session.
      }
    },
    quit: (code = 0) => {
      if (quitting) return;
      quitting = true;
      const before = ui.beforeQuit?.().catch(() => {}) ?? Promise.resolve();
      void Promise.race([before, new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => {
        chat?.close();
        target?.hosted?.stop();
        screen.destroy();
        process.exit(code);
      });
    },
  };
  screen.key(['C-c'], () => ui.quit(0));
  // A bug must not leave the terminal in raw mode with the cursor hidden: restore it, then report.
  const crash = (error: unknown) => {
    chat?.close();
    target?.hosted?.stop();
    screen.destroy();
    process.stderr.write(`parlor: the UI failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, () => ui.quit(0));

  // Waiting room → login room, and back with Esc, until a login succeeds.
  let first = true;
  while (!chat) {
    if (first && options.server !== undefined) target = parseServerAddress(options.server);
    else target = await waitingRoom(ui);
    first = false;
    const result = await loginRoom(ui, target);
    if (result !== 'back') chat = result;
    else if (options.server !== undefined && target.hosted === undefined) continue;
  }
  const room = new ChatRoom(ui, chat, target!);
  await room.start();
}

/** terminfo's colour count for TERM (`tput colors`), or undefined when tput cannot say. */
function terminfoColors(env: NodeJS.ProcessEnv): number | undefined {
  if (env.TERM === undefined || env.TERM === '') return undefined;
  const result = spawnSync('tput', ['colors'], { env: { ...env }, encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] });
  const colors = Number.parseInt(result.stdout ?? '', 10);
  return result.status === 0 && Number.isFinite(colors) ? colors : undefined;
}
