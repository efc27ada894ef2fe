// Day-change lines in a real terminal: history from earlier days, stored by the server's own
// store in its data dir, is drawn with a "— Weekday D Month —" line wherever the local day changes.

import { expect } from 'chai';
import { SqliteStore } from '../../src/store/sqlite-store.ts';
import { dayChangeText } from '../../src/ui/text-layout.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';

const DAY = 24 * 60 * 60 * 1000;

describe('ui day-change lines (tmux)', function () {
  this.timeout(40_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('puts a day line between history messages of different local days, and before today', async () => {
    const dataDir = tempDir('day-change');
    const args = ['--data', dataDir, '--no-discovery', '--password', 'pw'];
    // The server makes its store and the lobby, then stops; two older messages go into its store.
    await (await startServerProcess(args)).stop();
    const now = Date.now();
    const store = new SqliteStore(dataDir);
    const twoDaysAgo = now - 2 * DAY;
    const yesterday = now - DAY;
    store.appendMessages([
      { room: 'lobby', to: null, from: 'bob', text: 'from two days ago', ts: twoDaysAgo },
      { room: 'lobby', to: null, from: 'bob', text: 'from yesterday', ts: yesterday },
    ]);
    store.close();
    const server = await startServerProcess(args);
    const ui = await loggedInUi(server, 'alice', 0, { width: 100, height: 30 });
    const screen = await ui.waitFor('from yesterday');
    const lines = screen.split('\n');
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    const order = [dayChangeText(twoDaysAgo, now), 'from two days ago', dayChangeText(yesterday, now), 'from yesterday', dayChangeText(now, now), 'Welcome'].map(at);
    expect(order.every((i) => i >= 0), `all of them on screen:\n${screen}`).to.equal(true);
    expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
  });
});
