// An SSH visitor with a terminal gets the terminal UI's chat room, drawn by blessed through the SSH
// channel at the client's window size and redrawn when it changes. It is the same ChatRoom as the
// local UI's, with the same commands, keys, themes and inert text; only files and exports, which
// would touch the server's disk, answer that they are not available over ssh.

import blessed from 'blessed';
import type { ServerChannel, Session as SshChannelSession } from 'ssh2';
import type { ChatClient } from '../client/chat-client.ts';
import { SSH_VISITOR_KEPT_ENTRIES } from '../options.ts';
import { ChatRoom } from '../ui/chat-room.ts';
import { coalesceRenders } from '../ui/frame-scheduler.ts';
import { installTerminalWidths } from '../ui/terminal-widths.ts';
import { fastScreenDraw } from '../ui/fast-screen-draw.ts';
import { blessedDepth, detectColorDepth } from '../shared/color-depth.ts';
import { loadSettings, saveSettings } from '../shared/settings.ts';
import { resolveTheme } from '../shared/themes.ts';
import type { UiContext } from '../ui/ui-context.ts';
import { shareCompiledTerminfo } from './shared-terminfo.ts';
import type { VisitorIdentity } from './visitor-identities.ts';

export interface TerminalSize {
  cols: number;
  rows: number;
  term: string;
}

const NO_LOCAL_FILES = 'not available over ssh: files and exports would be read from or written to the server, not your machine; use a parlor client for files';

export function runTerminalMode(
  channel: ServerChannel,
  session: SshChannelSession,
  chat: ChatClient,
  visitor: VisitorIdentity,
  size: TerminalSize,
  server: { host: string; port: number },
): void {
  const { configDir, identity } = visitor;
  // blessed reads the size and the TTY-ness from its output stream, as from process.stdout.
  const stream = channel as ServerChannel & { rows: number; columns: number; isTTY: boolean; setRawMode: () => void };
  stream.rows = size.rows;
  stream.columns = size.cols;
  stream.isTTY = true;
  stream.setRawMode = () => {};
  const env = { TERM: size.term };
  // Box lines as UTF-8, not the VT100 alternate character set (as the local UI does, app.ts):
  // blessed reads this from the process's environment.
  process.env.NCURSES_NO_UTF8_ACS ??= '1';
  shareCompiledTerminfo();
  // Emoji two columns wide, as the visitor's terminal shows them.
  installTerminalWidths();
  // buffer: what blessed writes in one turn goes out as one write, so one SSH packet, as the local
  // screen's own program does.
  const program = blessed.program({ input: stream, output: stream, terminal: size.term, tput: true, buffer: true } as never);
  const screen = blessed.screen({
    program,
    smartCSR: true,
    fullUnicode: true,
    forceUnicode: true,
    autoPadding: true,
    warnings: false,
    title: 'parlor',
    cursor: { artificial: false, shape: 'block', blink: false, color: null as never },
  } as never);
  // The visitor's terminal, as its TERM says (OpenSSH sends no COLORTERM by default); not the
  // server's own terminfo, which may not know that TERM.
  const colorDepth = detectColorDepth(env);
  (screen as unknown as { tput: { colors: number } }).tput.colors = blessedDepth(colorDepth);
  screen.program.hideCursor();
  screen.program.disableMouse();
  coalesceRenders(screen);
  fastScreenDraw(screen);

  let ended = false;
  const end = (code: number): void => {
    if (ended) return;
    ended = true;
    try {
      screen.destroy();
    } catch {
      // The channel may be gone already.
    }
    chat.close();
    if (!channel.destroyed) {
      channel.exit(code);
      channel.end();
    }
  };
  session.on('window-change', (accept, _reject, info) => {
    accept?.();
    stream.rows = info.rows;
    stream.columns = info.cols;
    stream.emit('resize');
  });
  channel.on('close', () => end(0));

  const settings = loadSettings(configDir);
  const ui: UiContext = {
    screen,
    options: {
      configDir,
      dataDir: configDir,
      discovery: {},
      hosting: { port: 0, discoveryPort: 0, mdns: false },
      openLinks: false,
      mouse: false,
      env,
      maxAutoAcceptBytes: 0,
      noLocalFiles: NO_LOCAL_FILES,
      keptEntries: SSH_VISITOR_KEPT_ENTRIES,
    },
    identity,
    settings,
    theme: resolveTheme(settings.theme, env, blessedDepth(colorDepth)),
    colorDepth,
    saveSettings: () => {
      try {
        saveSettings(configDir, settings);
      } catch {
        // The setting is lost, not the session.
      }
    },
    quit: (code = 0) => end(code),
  };
  screen.key(['C-c'], () => end(0));
  chat.on('closed', () => end(0));
  const room = new ChatRoom(ui, chat, server);
  room.start().catch(() => end(1));
}
