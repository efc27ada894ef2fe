// An SSH visitor with a terminal, as a person meets it: `ssh -p PORT ada@127.0.0.1` under tmux (its
// default TERM), the join password typed at the prompt, then the terminal UI's chat room drawn
// through the SSH channel: messages both ways with a `parlor tail` user, a resize redrawn at the
// new size, the bot answering ada alone, and hostile text inert on ada's screen.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { generateClientIdentity } from '../../src/crypto/identity.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { connectChat, JOIN_PASSWORD, waitUntil } from '../helpers/chat-clients.ts';
import { PARLOR_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasOpenSsh } from '../helpers/ssh-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';
import { loggedInUi, sshTerminalUi } from '../helpers/tmux-chat.ts';

describe('the SSH front door with a terminal (ssh under tmux)', function () {
  this.timeout(90_000);
  let server: ServerProcess;
  let sshPort: number;

  before(function () {
    if (!hasOpenSsh()) skipOrFail(this, 'OpenSSH client (Debian openssh-client) not installed');
    if (!hasTmux()) skipOrFail(this, 'tmux not installed');
  });

  // The ssh clients in tmux end with their sessions, pass or fail.
  afterEach(() => killTmuxSessions());

  beforeEach(async () => {
    server = await startServerProcess(['--ephemeral', '--no-discovery', '--ssh', '--ssh-port', '0', '--password', JOIN_PASSWORD]);
    sshPort = (await server.waitForEvent((event) => event.event === 'listening')).sshPort as number;
  });

  it('draws the chat room through the channel, redraws on resize, and keeps others\' text inert', async () => {
    // tmux's own default TERM: the UI must pick its colours from what the SSH client reports.
    const ui = await sshTerminalUi(sshPort, JOIN_PASSWORD, { env: { TERM: 'tmux-256color' } });
    await ui.waitFor('#lobby');

    // A `parlor tail` user hears ada; ada sees what a script says, hostile bytes and all, inert.
    const tail = spawn(process.execPath, [PARLOR_BIN, 'tail', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'bob', '--config', tempDir('bob'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let heard = '';
    tail.stdout.on('data', (chunk: Buffer) => (heard += chunk.toString('utf8')));
    try {
      await ui.waitFor('bob', 15_000);
      ui.line('hello from a terminal');
      await waitUntil(() => heard.includes('hello from a terminal'), 'the tail to hear ada', 10_000, () => heard);
      const hostile = 'evil\u001b]0;pwned\u0007\u001b[2J\u001b[31mRED end';
      const sent = await runParlor(['send', '--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', 'mallory', '--config', tempDir('mallory'), hostile]);
      expect(sent.code, sent.stderr).to.equal(0);
      const screen = await ui.waitFor('RED end');
      expect(screen).to.include('hello from a terminal');
      // The escape sequences arrived as visible text, not as commands to ada's terminal: the
      // screen was not cleared (ada's own line is still there) and no colour was switched on.
      const withEscapes = ui.capture(true);
      expect(withEscapes).to.not.match(/\u001b\[31mRED end/);

      // The bot answers ada alone.
      ui.line('!echo for ada only');
      await ui.waitFor('for ada only');
      expect(heard).to.not.include('for ada only');

      // A resize reaches the UI through the SSH channel (window-change) and it redraws to fit.
      ui.resize(70, 20);
      await ui.waitFor((screen) => screen.split('\n').every((line) => line.length <= 70) && screen.includes('#lobby') && screen.includes('● connected'), 10_000);
      const lines = ui.capture().split('\n').filter((line) => line.trim() !== '');
      expect(lines.length).to.be.at.most(20);
    } finally {
      tail.kill();
    }
  });

  it('shows every line of a burst that arrives at once, and scrolls back past the lines the screen keeps', async () => {
    // Lines the server accepts as fast as they are said: a burst reaches ada in one go.
    const chat = await startServerProcess(['--ephemeral', '--no-discovery', '--ssh', '--ssh-port', '0', '--password', JOIN_PASSWORD, '--rate', '1000', '--burst', '1000']);
    const port = (await chat.waitForEvent((event) => event.event === 'listening')).sshPort as number;
    const ada = await sshTerminalUi(port, JOIN_PASSWORD);
    const bob = await connectChat(chat, await generateClientIdentity(), 'bob');
    try {
      await bob.join('lobby');
      await ada.waitFor('bob joined #lobby');
      // 15 lines said without waiting: drawn as one frame or a few, every one of them on ada's screen.
      await Promise.all(Array.from({ length: 15 }, (_, i) => bob.say('lobby', `burst line ${i + 1} of 15`)));
      const screen = await ada.waitFor('burst line 15 of 15');
      for (let i = 1; i <= 15; i++) expect(screen, `line ${i}`).to.include(`bob: burst line ${i} of 15`);
      // 40 more push them out of sight; PageUp brings the first ones back (the pane that follows
      // the newest line holds only its last screenful, and takes the rest back when scrolled).
      for (let i = 1; i <= 40; i++) await bob.say('lobby', `later line ${i}`);
      await ada.waitFor('later line 40');
      expect(ada.capture()).to.not.include('burst line 1 of 15');
      for (let presses = 0; presses < 6 && !ada.capture().includes('burst line 1 of 15'); presses++) {
        ada.keys('PageUp');
        await ada.waitFor((text) => !text.includes('later line 40'), 5_000);
      }
      const scrolled = await ada.waitFor('burst line 1 of 15');
      expect(scrolled).to.include('bob: burst line 2 of 15');
      // PageDown back to the end: following again, the newest line shows.
      for (let presses = 0; presses < 8 && !ada.capture().includes('later line 40'); presses++) {
        ada.keys('PageDown');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await ada.waitFor('later line 40');
      await bob.say('lobby', 'after scrolling back down');
      await ada.waitFor('bob: after scrolling back down');
    } finally {
      bob.close();
      await chat.stop();
    }
  });

  it('shows a parlor user\'s DM to an SSH user as not end-to-end, naming who is over ssh', async () => {
    const chat = await startServerProcess(['--ephemeral', '--no-discovery', '--ssh', '--ssh-port', '0', '--password', 'pw']);
    const port = (await chat.waitForEvent((event) => event.event === 'listening')).sshPort as number;
    const ada = await sshTerminalUi(port, 'pw');
    const bob = await loggedInUi(chat, 'bob', 0, { width: 100, height: 30 });
    bob.line('/msg ada hello over there');
    const bobScreen = await bob.waitFor((screen) => screen.includes('not end-to-end: ada is connected over ssh'));
    if (process.env.PARLOR_SHOW_SCREENS) console.log(bobScreen);
    expect(bobScreen).to.not.match(/hello over there.*verified/);
    // ada's side lists the conversation (with its unread count) in the left pane.
    await ada.waitFor('@bob');
  });
});

