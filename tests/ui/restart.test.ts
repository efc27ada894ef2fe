// A server restart as a person in the terminal UI sees it (tmux, a real server child restarted on
// its port): the room says the connection was lost and then that it is back, the others fill the
// member list again without a "joined" line each, and someone new is still said to join.

import { expect } from 'chai';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import { connectChat, JOIN_PASSWORD, startServerOnPort, waitUntil } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';

describe('ui: a server restart (tmux)', function () {
  this.timeout(60_000);
  const servers: ServerProcess[] = [];

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(async () => {
    killTmuxSessions();
    await Promise.all(servers.splice(0).map((server) => server.stop()));
  });

  it('says the connection is back where it said it was lost; the room fills up again without a "joined" line per person', async () => {
    const [, bobId, carlId] = await sharedIdentities();
    const args = ['--data', tempDir('ui-restart'), '--no-discovery', '--password', JOIN_PASSWORD];
    const first = await startServerProcess(args);
    servers.push(first);
    // bob and carl come back a second after the UI does, so that it is told of them.
    const slow = { reconnect: true, reconnectDelayMs: 1500, maxReconnectDelayMs: 1500 };
    const bob = await connectChat(first, bobId!, 'bob', slow);
    const carl = await connectChat(first, carlId!, 'carl', slow);
    try {
      await bob.join('lobby');
      await carl.join('lobby');
      const ada = await loggedInUi(first, 'ada', 0, { width: 120, height: 30, password: JOIN_PASSWORD, args: ['--no-mdns', '--no-broadcast'] });
      await ada.waitFor(/3 here/);

      await first.stop('SIGTERM');
      const second = await startServerOnPort(args, first.port);
      servers.push(second);
      await ada.waitFor('connection lost (SERVER_SHUTDOWN)');
      await waitUntil(() => second.events.filter((event) => event.event === 'login').length === 3, 'ada, bob and carl to log in again', 20_000);
      let screen = await ada.waitFor(/reconnected; anything missed[\s\S]*3 here|3 here[\s\S]*reconnected; anything missed/, 20_000);
      // A moment for any notice behind the others' rejoins: none of them is a "joined" line.
      const eve = await connectChat(second, await generateClientIdentity(), 'eve');
      await eve.join('lobby');
      screen = await ada.waitFor('eve joined #lobby');
      expect(screen).not.to.match(/(bob|carl) joined #lobby/);
      expect(screen).not.to.match(/(bob|carl) disconnected/);
      expect(screen).to.match(/4 here/);
      eve.close();
    } finally {
      bob.close();
      carl.close();
    }
  });
});
