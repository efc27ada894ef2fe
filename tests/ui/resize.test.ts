// The chat room when the terminal changes size: it redraws to the new size, keeps what was said,
// and goes on working, down to small terminals and back.

import { expect } from 'chai';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';

/** The widest line on the screen, in characters: the width the UI drew for. */
const drawnWidth = (screen: string) => Math.max(...screen.split('\n').map((line) => [...line.trimEnd()].length));
/** Redrawn for `width`: the top border ends in a corner exactly there (not cut off by tmux). */
const drawnFor = (screen: string, width: number) => {
  const top = [...(screen.split('\n')[0] ?? '').trimEnd()];
  return top.length === width && top.at(-1) === '┐';
};

describe('ui/resize (tmux)', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('redraws at the new size, keeps the conversation, and still takes input', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const ui = await loggedInUi(server, 'ada', 0);
    ui.line('before the resize');
    await ui.waitFor('ada: before the resize');
    expect(drawnWidth(ui.capture())).to.equal(80);

    ui.resize(120, 32);
    const wide = await ui.waitFor((screen) => drawnFor(screen, 120) && drawnWidth(screen) === 120);
    expect(wide).to.include('ada: before the resize');
    expect(wide).to.include('Members');

    ui.resize(60, 16);
    const narrow = await ui.waitFor((screen) => drawnFor(screen, 60) && screen.includes('before the resize'));
    expect(narrow).to.match(/connected/);
    ui.line('after the resize');
    await ui.waitFor('after the resize');

    ui.resize(80, 24);
    const back = await ui.waitFor((screen) => drawnFor(screen, 80) && screen.includes('after the resize'));
    expect(back).to.include('before the resize');
  });

  it('cuts a pane label wider than its box with an ellipsis, so it does not wrap onto the pane and hide its first line; whole again when wide', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const ui = await loggedInUi(server, 'ada', 0);
    ui.resize(50, 16);
    await ui.waitFor((screen) => drawnFor(screen, 50));
    // The status conversation's label, "status of NAME: replies and server notices", is the longest.
    ui.keys('C-p');
    const narrow = await ui.waitFor((screen) => screen.includes('Nothing said here yet') && screen.split('\n')[0]!.includes('…'));
    const [top, first] = narrow.split('\n');
    expect(top, 'the label does not fit in one line').to.match(/─ status of .*… ─+┐$/);
    expect(first, 'the pane\'s first line was covered by the rest of the label').to.include('Nothing said here yet');
    ui.resize(100, 20);
    const wide = await ui.waitFor((screen) => drawnFor(screen, 100) && screen.includes('replies and server notices'));
    expect(wide.split('\n')[0]).to.not.include('…');
  });
});
