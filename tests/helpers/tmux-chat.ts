// A UI in tmux, logged in to a server child and on the lobby: the start of most chat-room tests.

import { sharedIdentities } from './identities.ts';
import type { ServerProcess } from './server-process.ts';
import { sshOptions, sshVisitor } from './ssh-client.ts';
import { TmuxUi, uiHome, type UiHome } from './tmux.ts';

export async function loggedInUi(
  server: ServerProcess,
  name: string,
  identityIndex: number,
  options: { width?: number; height?: number; env?: Record<string, string>; args?: string[]; home?: UiHome; password?: string } = {},
): Promise<TmuxUi> {
  const identities = await sharedIdentities();
  const { args = [], home, password = 'pw', ...start } = options;
  const ui = TmuxUi.start(['--server', `${server.host}:${server.port}`, '--name', name, '--no-open', ...args], { home: home ?? uiHome(identities[identityIndex]), ...start });
  await ui.waitFor('Password');
  ui.line(password);
  await ui.waitFor('● connected');
  await ui.waitFor('Welcome');
  return ui;
}

/**
 * An SSH visitor, ada, in tmux: `ssh -t ada@127.0.0.1` to the front door on `sshPort`, with a key
 * of its own, the join password typed at the prompt; returned connected.
 */
export async function sshTerminalUi(sshPort: number, password: string, options: { width?: number; height?: number; env?: Record<string, string> } = {}): Promise<TmuxUi> {
  const { width = 100, height = 30, env } = options;
  const ui = TmuxUi.start([...sshOptions(sshVisitor(), sshPort), '-t', 'ada@127.0.0.1'], { home: uiHome(), width, height, program: ['ssh'], ...(env ? { env } : {}) });
  await ui.waitFor('parlor join password:', 15_000);
  ui.line(password);
  await ui.waitFor('● connected', 15_000);
  return ui;
}
