// The terminal UI, in tmux against a real server child, shown a DM that a hostile client sent in
// clear (issue 17 item 12): the line says it is not end-to-end, a sealed one does not, and the
// conversation's header claims nothing for the conversation as a whole.

import { expect } from 'chai';
import { ChatClient } from '../../src/client/chat-client.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, uiHome } from '../helpers/tmux.ts';

describe('security: the UI shows a plaintext DM as not end-to-end (tmux)', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('marks the line sent in clear, not the sealed one', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedInUi(server, 'alice', 0, { width: 140, height: 30 });
    const [, mallorysKey] = await sharedIdentities();
    const mallory = await ChatClient.connect({ host: server.host, port: server.port, identity: mallorysKey!, name: 'mallory', password: 'pw', configDir: uiHome().configDir, reconnect: false });
    try {
      await mallory.dm('alice', 'sealed hello');
      await mallory.request('dm', { to: 'alice', text: 'plain hello' });
      await alice.waitFor('@mallory (2)');
      alice.keys('C-n');
      const screen = await alice.waitFor('plain hello');
      expect(screen).to.match(/mallory: sealed hello/);
      expect(screen).to.match(/mallory !! not end-to-end \(the server could read it or have written it\): plain hello/);
      expect(screen).to.contain('@mallory · direct');
      expect(screen).not.to.contain('@mallory · end-to-end');
    } finally {
      mallory.close();
    }
  });
});
