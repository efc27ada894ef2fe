// A UI in tmux, logged in to a server child and on the lobby: the start of most chat-room tests.

import { sharedIdentities } from './identities.ts';
import type { ServerProcess } from './server-process.ts';
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
