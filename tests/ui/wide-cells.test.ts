// Wide and combining characters in a real terminal (tmux): after a line with CJK, an emoji or a
// combining accent scrolls up the message pane, every row shows exactly its own text. blessed's
// width table predates Unicode 9 and counted 😀 as one column, the terminal two: its diff then
// left stale characters ("t" of "test", "h" of "here") on every row the line had passed through.

import { expect } from 'chai';
import { JOIN_PASSWORD } from '../helpers/chat-clients.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasOpenSsh } from '../helpers/ssh-client.ts';
import { loggedInUi, sshTerminalUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, type TmuxUi } from '../helpers/tmux.ts';

/** Lines that, once scrolled through the pane by the short ones after them, once left stale cells. */
const WIDE_LINES = ['漢字 wide chars here', 'emoji 😀 test', 'cafe\u0301 ☕ x\u1ab0 ok done'];

/**
 * Types the wide lines and then `b 1`..`b 20` (enough to scroll them off a 24-row pane), waits for
 * the last, and returns the screen.
 */
async function scrollWideLines(ui: TmuxUi, name: string): Promise<string> {
  for (const line of WIDE_LINES) {
    ui.line(line);
    await ui.waitFor(line.slice(-8));
  }
  // One at a time, as a person types them (the server limits how fast one may send).
  let screen = '';
  for (let i = 1; i <= 20; i++) {
    ui.line(`b ${i}`);
    screen = await ui.waitFor(`${name}: b ${i} `);
  }
  return screen;
}

/** Each `NAME: b N` row of the message pane, with whatever else the screen shows between it and the pane's right edge. */
function shortRows(screen: string, name: string): Array<{ row: string; rest: string }> {
  const rows: Array<{ row: string; rest: string }> = [];
  for (const row of screen.split('\n')) {
    const match = new RegExp(`${name}: b \\d+([^│]*)│`).exec(row);
    if (match) rows.push({ row, rest: match[1]! });
  }
  return rows;
}

function expectNoStaleCells(screen: string, name: string): void {
  const rows = shortRows(screen, name);
  expect(rows.length, screen).to.be.greaterThan(10);
  for (const { row, rest } of rows) expect(rest.trim(), `stale cells in ${JSON.stringify(row)}\n${screen}`).to.equal('');
}

describe('ui/wide and combining characters scroll without leaving stale cells (tmux)', function () {
  this.timeout(60_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('rows the wide lines scrolled through show only their own text, in the local UI', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const ui = await loggedInUi(server, 'bob', 0, { width: 90, height: 24 });
    expectNoStaleCells(await scrollWideLines(ui, 'bob'), 'bob');
  });

  it('rows the wide lines scrolled through show only their own text, for an SSH visitor', async function () {
    if (!hasOpenSsh()) skipOrFail(this, 'OpenSSH client (Debian openssh-client) not installed');
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--ssh', '--ssh-port', '0', '--password', JOIN_PASSWORD]);
    const sshPort = (await server.waitForEvent((event) => event.event === 'listening')).sshPort as number;
    const ui = await sshTerminalUi(sshPort, JOIN_PASSWORD, { width: 90, height: 24, env: { TERM: 'tmux-256color' } });
    await ui.waitFor('#lobby');
    expectNoStaleCells(await scrollWideLines(ui, 'ada'), 'ada');
  });
});
