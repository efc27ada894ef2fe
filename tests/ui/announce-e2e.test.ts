// An operator's !announce in a real terminal: said in its own colour and mark, and ringing the
// bell under /bell mentions (the default), not under /bell off.

import { expect } from 'chai';
import { ChatClient } from '../../src/client/chat-client.ts';
import { themeAtDepth } from '../../src/shared/themes.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, uiHome } from '../helpers/tmux.ts';

describe('ui: an operator announcement (tmux)', function () {
  this.timeout(40_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('stands out in its own colour and rings under /bell mentions, silent under /bell off', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', '--operator-password', 'op-secret']);
    const [listening, quiet] = await Promise.all([loggedInUi(server, 'bob', 1, { width: 100 }), loggedInUi(server, 'carol', 2, { width: 100 })]);
    quiet.line('/bell off');
    await quiet.waitFor('(status) (1)');
    expect(listening.bellRang()).to.equal(false);
    const [identity] = await sharedIdentities();
    const ada = await ChatClient.connect({ host: server.host, port: server.port, identity: identity!, name: 'ada', password: 'pw', configDir: uiHome().configDir, reconnect: false });
    try {
      await ada.op('op-secret');
      await ada.command('!announce pizza in the kitchen');
      const screen = await listening.waitFor('»» announcement from ada: pizza in the kitchen');
      expect(screen).to.contain('(status) (1)');
      // Drawn in the theme's announcement colour (nord at 256 colours), in bold.
      const colour = themeAtDepth('nord', 256).announce;
      const coloured = await listening.waitFor((text) => text.includes(`38;5;${String(colour)}m»» announcement`), 5000, true);
      expect(coloured).to.match(/\u001b\[1m[^»]*»» announcement/);
      expect(listening.bellRang()).to.equal(true);
      await quiet.waitFor('»» announcement from ada');
      expect(quiet.bellRang()).to.equal(false);
    } finally {
      ada.close();
    }
  });
});
