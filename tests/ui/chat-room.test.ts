// The chat room in a real terminal (tmux), against a real server on loopback.

import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient } from '../../src/client/chat-client.ts';
import { startServerOnPort } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasTmux, killTmuxSessions, type TmuxUi, uiHome } from '../helpers/tmux.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';

/** A UI logged in as `name` to the server, on the lobby. */
async function loggedIn(server: ServerProcess, name: string, identityIndex: number, size: { width?: number; height?: number } = {}): Promise<TmuxUi> {
  return loggedInUi(server, name, identityIndex, size);
}

describe('ui/chat-room (tmux)', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('holds a line typed while the server is away and sends it once reconnected', async () => {
    const args = ['--data', tempDir('ui-reconnect'), '--no-discovery', '--password', 'pw'];
    const first = await startServerProcess(args);
    const alice = await loggedIn(first, 'alice', 0);
    await first.stop('SIGTERM');
    // The connection's state is the status bar's; its notice goes to the status conversation.
    await alice.waitFor('◌ reconnecting');
    alice.line('said while away');
    await alice.waitFor('not connected: this goes out');
    expect(alice.capture()).not.to.match(/alice: said while away/);
    await startServerOnPort(args, first.port);
    const screen = await alice.waitFor(/alice: said while away/, 20_000);
    expect(screen).to.contain('● connected');
    // The key trusted at login, proved again: known, not "(new)".
    expect(screen).to.match(/… \(known\)/);
    expect(screen).not.to.contain('✗');
  });

  it('two people exchange room messages and a direct message, each seeing the other\'s', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice, bob] = await Promise.all([loggedIn(server, 'alice', 0), loggedIn(server, 'bob', 1)]);
    await alice.waitFor(/bob\s+–/);
    alice.line('hello from alice');
    await bob.waitFor('alice: hello from alice');
    bob.line('@alice psst, a secret');
    await bob.waitFor('@alice');
    await alice.waitFor('@bob (1)');
    alice.keys('C-n');
    await alice.waitFor('bob: psst, a secret');
    alice.line('got it');
    await bob.waitFor('alice: got it');
  });

  it('shows a !echo reply on the caller\'s screen only, marked as the bot\'s', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice, bob] = await Promise.all([loggedIn(server, 'alice', 0), loggedIn(server, 'bob', 1)]);
    alice.line('!echo only-for-alice');
    await alice.waitFor(/bot ▸ !echo only-for-alice[\s\S]*│ only-for-alice/);
    alice.line('after the echo');
    await bob.waitFor('alice: after the echo');
    expect(bob.capture()).not.to.contain('only-for-alice');
  });

  it('joins a room that has a password, and says apart a missing password from a wrong one', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice, bob] = await Promise.all([loggedIn(server, 'alice', 0), loggedIn(server, 'bob', 1)]);
    alice.line('/create vault s3cret');
    await alice.waitFor('created and joined #vault');
    bob.line('/join vault');
    await bob.waitFor('PASSWORD_REQUIRED');
    bob.line('/join vault wrong');
    await bob.waitFor('BAD_PASSWORD');
    bob.line('/join #vault s3cret');
    await bob.waitFor('joined #vault');
    bob.line('in the vault');
    await alice.waitFor('bob: in the vault');
  });

  it('draws a !meow picture as half blocks and says where it saved it', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedIn(server, 'alice', 0, { width: 100, height: 30 });
    alice.line('!meow');
    const screen = await alice.waitFor('picture saved:');
    expect(screen).to.match(/▀{8,}/);
    const saved = readdirSync(join(alice.home.dataDir, 'receivedcats'));
    expect(saved).to.have.length(1);
  });

  it('switches colours live with /theme and remembers the choice', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedIn(server, 'alice', 0);
    // Background colours in the SGR sequences on screen: 256-colour (48;5;N) or the 16 (40-47, 100-107).
    const backgrounds = (screen: string) =>
      new Set([...screen.matchAll(/\u001b\[([0-9;]*)m/g)].flatMap((m) => [...m[1]!.matchAll(/(?:^|;)(48;5;\d+|4[0-7]|10[0-7])(?=;|$)/g)].map((p) => p[1])));
    const before = backgrounds(alice.capture(true));
    alice.line('/theme light');
    // Its acknowledgement goes to the status conversation, not into the lobby on screen.
    await alice.waitFor('(status) (1)');
    await alice.waitFor((screen) => [...backgrounds(screen)].some((code) => !before.has(code)), 10_000, true);
    expect(JSON.parse(readFileSync(join(alice.home.configDir, 'ui.json'), 'utf8')).theme).to.equal('light');
    // More than a screenful after a restyle: the scrollbar is drawn with the new theme's style.
    alice.line('/help');
    await alice.waitFor('Keys: Enter send');
    for (let presses = 0; presses < 6 && !alice.capture().includes('Commands:'); presses++) {
      const before = alice.capture();
      alice.keys('PageUp');
      // Short of the top, each page up redraws: wait for that before looking again.
      await alice.waitFor((screen) => screen !== before);
    }
    await alice.waitFor('Commands:');
    // /help was answered in the status conversation, beside /theme's line; Esc goes back to the lobby.
    expect(alice.capture()).to.contain('theme light');
    alice.keys('Escape');
    await alice.waitFor('to #lobby');
    alice.line('still here');
    await alice.waitFor('alice: still here');
  });

  it('writes the conversation with /export and says where', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedIn(server, 'alice', 0, { width: 120 });
    alice.line('for the record');
    await alice.waitFor('alice: for the record');
    const path = join(alice.home.home, 'lobby.txt');
    alice.line(`/export ${path}`);
    await alice.waitFor('exported #lobby to');
    expect(readFileSync(path, 'utf8')).to.match(/\] alice: for the record\n/);
    alice.line('/export');
    await alice.waitFor(/exported #lobby to[\s│]*(?:\S*\s*│[^\n]*\n[│ ]*)?\S*exports/);
    expect(existsSync(join(alice.home.dataDir, 'exports'))).to.equal(true);
  });

  it('shows escape sequences and bidi overrides from others inert, and blessed tags literally', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedIn(server, 'alice', 0, { width: 120 });
    const [, , identity] = await sharedIdentities();
    const mallory = await ChatClient.connect({ host: server.host, port: server.port, identity: identity!, name: 'mallory', password: 'pw', configDir: uiHome().configDir, reconnect: false });
    try {
      await mallory.join('lobby');
      await mallory.say('lobby', 'x\u001b[2J\u001b]0;pwned\u0007{red-fg}red{/} \u202Eevil\u0008!');
      const screen = await alice.waitFor('mallory:');
      expect(screen).to.contain('x^[[2J^[]0;pwned^G{red-fg}red{/} <U+202E>evil^H!');
      expect(screen).to.contain('Welcome');
    } finally {
      mallory.close();
    }
  });
});
