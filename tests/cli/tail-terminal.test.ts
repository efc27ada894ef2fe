// What `parlor tail` puts on a real terminal (tmux): a message full of escape sequences must be
// shown, not obeyed.

import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { ChatClient } from '../../src/client/chat-client.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { PARLOR_BIN, startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('cli: parlor tail on a terminal', () => {
  const session = `parlor-tail-${process.pid}`;
  afterEach(() => {
    spawnSync('tmux', ['kill-session', '-t', session]);
  });

  it('shows escape sequences and bidi overrides from others inert', async function () {
    if (spawnSync('tmux', ['-V']).status !== 0) skipOrFail(this, 'tmux is not installed (apt-get install tmux)');
    const server = await startServerProcess(['--ephemeral', '--password', 'pw']);
    const tail = [process.execPath, PARLOR_BIN, 'tail', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'bob', '--config', tempDir('bob'), '--fingerprint', server.fingerprint, '--timeout', '20'];
    execFileSync('tmux', ['new-session', '-d', '-s', session, '-x', '100', '-y', '10', tail.map((a) => `'${a}'`).join(' ')]);
    await server.waitForEvent((e) => e.event === 'login' && e.name === 'bob');
    const [identity] = await sharedIdentities();
    const ada = await ChatClient.connect({ host: '127.0.0.1', port: server.port, identity: identity!, configDir: tempDir('ada'), fingerprint: server.fingerprint, name: 'ada', password: 'pw', reconnect: false });
    // The tail is in the lobby before ada joins it, so that it shows her joining.
    const bobInLobby = async () => (await ada.users()).users.some((user) => user.name === 'bob' && user.rooms.includes('lobby'));
    for (let round = 0; round < 200 && !(await bobInLobby()); round++) await new Promise((r) => setTimeout(r, 20));
    await ada.join('lobby');
    await ada.say('lobby', 'plain \u001b[31mRED\u001b[0m \u001b]0;owned\u0007 \u001b[2J gone? \u202Eevil');
    ada.close();
    let screen = '';
    await waitUntil(() => (screen = execFileSync('tmux', ['capture-pane', '-e', '-p', '-t', session], { encoding: 'utf8' })).includes('RED'), 'the message on the tail screen', 5000, () => screen);
    expect(screen).to.include('plain ^[[31mRED^[[0m ^[]0;owned^G ^[[2J gone? <U+202E>evil');
    // capture-pane -e would show a colour change as an escape of its own: there must be none.
    expect(screen).not.to.include('\u001b[31m');
    expect(screen).to.include('-- ada joined #lobby');
  });
});
