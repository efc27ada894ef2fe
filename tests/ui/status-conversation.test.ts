// The status conversation in a real terminal: notices that concern no conversation stay out of
// the one on screen (a DM here), an error of /join is shown there at once and Esc goes back, and
// Ctrl-N walks status, rooms, DMs and wraps.

import { expect } from 'chai';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';

describe('ui: the status conversation (tmux)', function () {
  this.timeout(40_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('keeps /theme and /join errors out of a DM, shows them in (status), and Ctrl-N walks status, rooms, DMs', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice] = await Promise.all([loggedInUi(server, 'alice', 0, { width: 100 }), loggedInUi(server, 'bob', 1, { width: 100 })]);
    alice.line('/create dev');
    await alice.waitFor('created and joined #dev');
    alice.line('@bob hello');
    await alice.waitFor('to @bob');
    alice.line('/theme dark');
    await alice.waitFor('(status) (1)');
    expect(alice.capture()).to.contain('alice: hello').and.not.contain('theme dark');
    alice.line('/join nosuch');
    let screen = await alice.waitFor('ROOM_NOT_FOUND');
    expect(screen).to.contain('status of vm').and.to.contain('theme dark').and.to.contain('commands only');
    alice.keys('Escape');
    screen = await alice.waitFor('to @bob');
    expect(screen).to.contain('alice: hello').and.not.contain('ROOM_NOT_FOUND');
    // The list on the left is the order Ctrl-N walks, and it wraps from the last DM to status.
    const left = screen.split('\n').map((line) => [...line].slice(1, 15).join('').trim()).filter((line) => line !== '');
    expect(left.slice(1, 6)).to.deep.equal(['(status)', '#lobby', '#dev', 'Direct', '@bob']);
    const walked: string[] = [];
    for (const expected of ['commands only', 'to #lobby', 'to #dev', 'to @bob']) {
      alice.keys('C-n');
      await alice.waitFor(expected);
      walked.push(expected);
    }
    alice.keys('C-p');
    await alice.waitFor('to #dev');
    expect(walked).to.have.length(4);
  });
});
