// Issue 16's first finding, as a user met it: the UI logged in as ada, then `parlor send` and
// `parlor tail` run with the same config dir (the same identity key). The UI must stay connected
// (no SESSION_REPLACED), see the line `send` posted, and not see ada leave when the scripts end.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connectChat, nextEvent } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { PARLOR_BIN, startServerProcess } from '../helpers/server-process.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';

describe('ui/sessions: the UI stays while send and tail use its identity (tmux)', function () {
  this.timeout(60_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('a UI in tmux stays connected while `send` and `tail` run with its config dir, and sees the line `send` posted', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const ui = await loggedInUi(server, 'ada', 0);
    const as = ['--server', `${server.host}:${server.port}`, '--password', 'pw', '--name', 'ada', '--config', ui.home.configDir];

    // --history 1 on a fresh server: whether the tail joins before or after `send` posts, the
    // first line it prints is that message (live, or as the newest of its history).
    const tail = spawn(process.execPath, [PARLOR_BIN, 'tail', ...as, '--json', '--history', '1', '--count', '1', '--timeout', '30'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const tailed: Array<Record<string, unknown>> = [];
    let tailErrors = '';
    createInterface({ input: tail.stdout }).on('line', (line) => tailed.push(JSON.parse(line) as Record<string, unknown>));
    tail.stderr.on('data', (chunk: Buffer) => (tailErrors += chunk.toString()));
    const tailExited = new Promise<number | null>((resolve) => tail.once('exit', resolve));
    const sent = await runParlor(['send', ...as, 'sent from a script']);
    expect(sent.code, sent.stderr).to.equal(0);
    const screen = await ui.waitFor('ada: sent from a script');
    expect(await tailExited, tailErrors).to.equal(0);
    expect(tailed.map((line) => line.text)).to.deep.equal(['sent from a script']);

    // Both scripts are gone; the UI is still connected, was never replaced, and nobody "left".
    ui.line('still here');
    const after = await ui.waitFor('ada: still here');
    for (const shown of [screen, after]) {
      expect(shown).to.contain('● connected');
      expect(shown).not.to.match(/SESSION_REPLACED|disconnected|reconnecting|ada left|ada joined/);
    }
  });

  it('`parlor --replace` logs the identity\'s other sessions out at login (SESSION_REPLACED)', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const script = await connectChat(server, identity!, 'ada', { password: 'pw' });
    const closed = nextEvent(script, 'closed', 30_000);
    const ui = await loggedInUi(server, 'ada', 0, { args: ['--replace'] });
    expect((await closed)[0].reason.code).to.equal('SESSION_REPLACED');
    expect(ui.capture()).to.contain('● connected');
  });
});
