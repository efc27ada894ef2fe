// A UI in tmux, logged in to a server child and on the lobby: the start of most chat-room tests.

import { sharedIdentities } from './identities.ts';
import type { ServerProcess } from './server-process.ts';
import { TmuxUi, uiHome } from './tmux.ts';

export async function loggedInUi(
  server: ServerProcess,
  name: string,
  identityIndex: number,
  options: { width?: number; height?: number; env?: Record<string, string>; args?: string[] } = {},
): Promise<TmuxUi> {
  const identities = await sharedIdentities();
  const { args = [], ...start } = options;
  const ui = TmuxUi.start(['--server', `${server.host}:${server.port}`, '--name', name, '--no-open', ...args], { home: uiHome(identities[identityIndex]), ...start });
  await ui.waitFor('Password');
  ui.line('pw');
  await ui.waitFor('● connected');
  await ui.waitFor('Welcome');
  return ui;
}
