// The terminal UI under test: `parlor` in a tmux session of its own, on a tmux server of its own
// (-L, so a developer's tmux is never touched), driven with send-keys and read with capture-pane.
// Every session is killed by name after each test, pass or fail, and the processes in it (the UI
// and any server it hosted) by pid first.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_IDENTITY_FILE, type ClientIdentity } from '../../src/crypto/identity.ts';
import { PARLOR_BIN } from './server-process.ts';
import { tempDir } from './temp-dir.ts';

const SOCKET = `parlor-test-${process.pid}`;
const live = new Set<TmuxUi>();
let counter = 0;

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status === 0;
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** The TERM tmux gives its panes when no one says otherwise (tmux-256color or screen-256color). */
export function tmuxDefaultTerm(): string {
  return tmux('-f', '/dev/null', 'start-server', ';', 'show-options', '-gv', 'default-terminal').trim();
}

export interface UiHome {
  configDir: string;
  dataDir: string;
  home: string;
}

/** A home for one UI: its config dir (with a pre-made identity: keygen is slow) and data dir. */
export function uiHome(identity?: ClientIdentity): UiHome {
  const home = tempDir('parlor-ui');
  const configDir = join(home, 'config', 'parlor');
  const dataDir = join(home, 'data', 'parlor');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  if (identity) writeFileSync(join(configDir, CLIENT_IDENTITY_FILE), identity.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { configDir, dataDir, home };
}

export class TmuxUi {
  private constructor(
    readonly session: string,
    readonly home: UiHome,
  ) {}

  /** Exactly this session (a bare name can be read as a prefix, or as a pane token like "b"). */
  private get target(): string {
    return `=${this.session}:`;
  }

  /** `program`: what to run instead of `node bin/parlor.js` (e.g. `ssh` for the SSH front door). */
  static start(args: string[], options: { home: UiHome; width?: number; height?: number; env?: Record<string, string>; program?: string[] }): TmuxUi {
    const session = `ui-${process.pid}-${++counter}`;
    const env: Record<string, string> = {
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
      HOME: options.home.home,
      XDG_CONFIG_HOME: join(options.home.home, 'config'),
      XDG_DATA_HOME: join(options.home.home, 'data'),
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...options.env,
    };
    // env -i: nothing of the test runner's environment (NO_COLOR, COLORTERM) leaks in unasked.
    const command = ['env', '-i', ...Object.entries(env).map(([k, v]) => quote(`${k}=${v}`)), ...(options.program ?? [process.execPath, PARLOR_BIN]).map(quote), ...args.map(quote)].join(' ');
    tmux('new-session', '-d', '-s', session, '-x', String(options.width ?? 80), '-y', String(options.height ?? 24), `${command}; sleep 600`);
    const ui = new TmuxUi(session, options.home);
    live.add(ui);
    return ui;
  }

  /** Keys by tmux name (Enter, Tab, C-c, PageUp) or literal text with `literal`. */
  keys(...keys: string[]): void {
    tmux('send-keys', '-t', this.target, ...keys);
  }

  type(text: string): void {
    tmux('send-keys', '-t', this.target, '-l', text);
  }

  /** Types a line and presses Enter. */
  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  /** Resizes the terminal, as a user dragging the window would (the UI gets SIGWINCH). */
  resize(width: number, height: number): void {
    tmux('resize-window', '-t', this.target, '-x', String(width), '-y', String(height));
  }

  capture(escapes = false): string {
    return tmux('capture-pane', '-p', '-t', this.target, ...(escapes ? ['-e'] : []));
  }

  /** Polls the screen until it shows `what`; fails with the last screen. */
  async waitFor(what: string | RegExp | ((screen: string) => boolean), timeoutMs = 10_000, escapes = false): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = '';
    while (Date.now() < deadline) {
      screen = this.capture(escapes);
      if (typeof what === 'string' ? screen.includes(what) : typeof what === 'function' ? what(screen) : what.test(screen)) return screen;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`the screen never showed ${String(what)}; it shows:\n${escapes ? screen.replace(/\u001b/g, '\\e') : screen}`);
  }

  /** Whether the terminal bell rang in this session since it started (tmux's bell flag). */
  bellRang(): boolean {
    return tmux('display-message', '-p', '-t', this.target, '#{window_bell_flag}').trim() === '1';
  }

  /** The processes in the pane: the UI and its children (a hosted server). */
  pids(): number[] {
    const root = Number(tmux('display-message', '-p', '-t', this.target, '#{pane_pid}').trim());
    const all: number[] = [];
    const walk = (pid: number) => {
      all.push(pid);
      let children = '';
      try {
        children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
      } catch {
        return;
      }
      for (const child of children.trim().split(/\s+/).filter(Boolean)) walk(Number(child));
    };
    walk(root);
    return all;
  }

  /** The UI's own process (the node running bin/parlor.js), e.g. to pause it with SIGSTOP. */
  uiPid(): number {
    const pid = this.pids().find((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(PARLOR_BIN);
      } catch {
        return false;
      }
    });
    if (pid === undefined) throw new Error(`no parlor process in tmux session ${this.session}`);
    return pid;
  }

  kill(): void {
    if (!live.has(this)) return;
    live.delete(this);
    let pids: number[] = [];
    try {
      pids = this.pids();
    } catch {
      // The session is gone already.
    }
    for (const pid of pids.reverse()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited on its own.
      }
    }
    try {
      tmux('kill-session', '-t', `=${this.session}`);
    } catch {
      // Ended with its last process.
    }
  }
}

/** After each UI test: every session it started ends, by name, whatever the outcome. */
export function killTmuxSessions(): void {
  for (const ui of [...live]) ui.kill();
}
