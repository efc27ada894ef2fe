// End-to-end encryption in the chat room, in a real terminal (tmux) against a real server child:
// /whois, secret rooms, a peer's changed key and /trust, and a later joiner's unreadable history.

import { expect } from 'chai';
import { ChatClient } from '../../src/client/chat-client.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, uiHome } from '../helpers/tmux.ts';

const wide = { width: 120, height: 32 };
/** Fingerprints as the UI prints them. */
const FINGERPRINT = /SHA256:[A-Za-z0-9+/]{43}/;

describe('ui/chat-room end-to-end (tmux)', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it("/whois shows the fingerprint the other side's /name shows, with its trust state and presence", async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), loggedInUi(server, 'bob', 1, wide)]);
    bob.line('/name');
    const own = FINGERPRINT.exec(await bob.waitFor((screen) => screen.includes('You are bob') && FINGERPRINT.test(screen)))![0];
    alice.line('/whois bob');
    let screen = await alice.waitFor('new: you have not seen');
    expect(screen).to.match(/bob · online now/);
    expect(screen).to.contain(`key ${own}`);
    // Trusting with the fingerprint bob read out: another one is refused, his own is taken.
    alice.line(`/trust bob SHA256:${'A'.repeat(43)}`);
    await alice.waitFor(`FINGERPRINT_MISMATCH: not trusted: bob presents the key`);
    alice.line(`/trust bob ${own}`);
    await alice.waitFor("you now trust bob's key");
    // A direct message seals to bob's key, and so remembers it.
    alice.line('@bob hello');
    await alice.waitFor('@bob · direct');
    await bob.waitFor('@alice (1)');
    alice.line('/whois @bob');
    screen = await alice.waitFor('known: the key you have trusted for bob');
    alice.line('/whois alice');
    await alice.waitFor('you: this is your own key');
  });

  it('a secret room made in one UI is read in another, marked secret; a later joiner is told what it cannot read', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), loggedInUi(server, 'bob', 1, wide)]);
    alice.line('/create vault --secret');
    let screen = await alice.waitFor('created and joined #vault (secret: end-to-end encrypted');
    expect(screen).to.contain('#vault · secret, end-to-end');
    expect(screen).to.match(/#vault secret/);
    bob.line('/join vault');
    await bob.waitFor('joined #vault (secret');
    await alice.waitFor('bob joined #vault');
    alice.line('sealed one');
    alice.line('sealed two');
    screen = await bob.waitFor('alice: sealed two');
    expect(screen).to.contain('alice: sealed one');
    expect(screen).to.contain('#vault · secret, end-to-end');

    const carol = await loggedInUi(server, 'carol', 2, wide);
    carol.line('/join vault');
    screen = await carol.waitFor('2 earlier messages were sealed before you joined');
    expect(screen).not.to.contain('sealed one');
    // Members seal to carol from now on.
    await bob.waitFor('carol joined #vault');
    bob.line('welcome carol');
    await carol.waitFor(/bob ▸ welcome carol/);
  });

  it("a peer's changed key is a loud warning in their conversation; messages are held until /trust opens them", async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', '--name-reservation-days', '0']);
    const alice = await loggedInUi(server, 'alice', 0, wide);
    const [, first, second] = await sharedIdentities();
    const connect = (identity: typeof first) => ChatClient.connect({ host: server.host, port: server.port, identity: identity!, name: 'bob', password: 'pw', configDir: uiHome().configDir, reconnect: false });
    const bob = await connect(first);
    await bob.dm('alice', 'from the first key');
    bob.close();
    await alice.waitFor('@bob (1)');
    // The name's reservation lapsed at once: another key logs in as bob.
    const impostor = await connect(second);
    try {
      await impostor.dm('alice', 'from the second key');
      alice.keys('C-n');
      let screen = await alice.waitFor("WARNING: BOB'S IDENTITY KEY HAS CHANGED!");
      expect(screen).to.contain('bob: from the first key');
      expect(screen).to.contain(first!.fingerprint);
      expect(screen).to.contain(second!.fingerprint);
      expect(screen).to.contain('are held until you');
      expect(screen).to.contain("message from bob held: bob's key changed");
      expect(screen).not.to.contain('bob: from the second key');
      // Sending is refused until then, without repeating the warning.
      alice.line('are you there?');
      await alice.waitFor('not sent (E2E_PEER_KEY_CHANGED)');
      // The fingerprint bob read out is not the key presented: nothing is trusted.
      alice.line(`/trust bob ${first!.fingerprint}`);
      screen = await alice.waitFor('FINGERPRINT_MISMATCH: not trusted: bob presents the key');
      expect(screen).not.to.contain('held message opened');
      alice.line(`/trust bob ${second!.fingerprint}`);
      screen = await alice.waitFor('1 of 1 held message opened');
      // The fingerprint may wrap onto the notice's next line.
      const escaped = second!.fingerprint.replace(/[+/]/g, '\\$&');
      expect(screen).to.match(new RegExp(`you now trust bob's key(?: |\\s*│[^\\n]*\\n[│ ]*)${escaped}`));
      expect(screen).to.contain('bob: from the second key');
      alice.line('now we talk');
      await alice.waitFor('alice: now we talk');
    } finally {
      impostor.close();
    }
  });

  it('draws a !meow picture in 24-bit colour when COLORTERM says so, and repaints it correctly as it scrolls', async function () {
    this.timeout(60_000);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedInUi(server, 'alice', 0, { width: 100, height: 30, env: { COLORTERM: 'truecolor' } });
    const truecolor = /\u001b\[[0-9;]*(38;2;\d+;\d+;\d+)/;
    alice.line('!meow');
    await alice.waitFor('picture saved:');
    await alice.waitFor((screen) => truecolor.test(screen), 10_000, true);
    // Scrolled out of sight: not one 24-bit cell is left behind.
    // Typed at the server's rate (10 a second), not faster: the UI sends a line as soon as Enter
    // is read, and the default burst of 20 would refuse some of 25 typed at once.
    for (let n = 1; n <= 25; n++) {
      alice.line(`line ${n}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // 25 messages, each acknowledged by the server: give a loaded machine time.
    await alice.waitFor('alice: line 25', 25_000);
    await alice.waitFor((screen) => !truecolor.test(screen) && screen.includes(': line 25'), 10_000, true);
    // Back into view: drawn again.
    for (let presses = 0; presses < 4 && !alice.capture().includes('picture saved:'); presses++) {
      const before = alice.capture();
      alice.keys('PageUp');
      // Short of the top, each page up redraws: wait for that before looking again.
      await alice.waitFor((screen) => screen !== before);
    }
    await alice.waitFor((screen) => truecolor.test(screen) && screen.includes('▀'), 10_000, true);
  });

  it('draws a !meow picture in 256 colours when COLORTERM is unset', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const alice = await loggedInUi(server, 'alice', 0, { width: 100, height: 30 });
    alice.line('!meow');
    await alice.waitFor('picture saved:');
    const screen = await alice.waitFor((text) => /38;5;\d+/.test(text) && text.includes('▀'), 10_000, true);
    expect(screen).not.to.match(/38;2;/);
  });
});
