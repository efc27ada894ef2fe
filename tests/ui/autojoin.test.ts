// Autojoin: the rooms joined on a server are joined again when the UI starts again, with their
// passwords, from a file only the user can read; /leave removes one. In tmux, against a real server.

import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Autojoin, AUTOJOIN_FILE } from '../../src/ui/autojoin.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, uiHome } from '../helpers/tmux.ts';

describe('ui/autojoin', function () {
  this.timeout(60_000);
  afterEach(() => killTmuxSessions());

  it('remembers rooms per server with their passwords, once each, and forgets one', () => {
    const dir = tempDir('autojoin');
    const rooms = new Autojoin(dir);
    rooms.remember('127.0.0.1:7447', 'dev');
    rooms.remember('127.0.0.1:7447', 'vault', 'sesame');
    rooms.remember('127.0.0.1:7447', 'Dev');
    rooms.remember('[::1]:9000', 'other');
    expect(rooms.rooms('127.0.0.1:7447')).to.deep.equal([{ room: 'Dev' }, { room: 'vault', password: 'sesame' }]);
    expect(statSync(join(dir, AUTOJOIN_FILE)).mode & 0o777).to.equal(0o600);
    rooms.forget('127.0.0.1:7447', 'dev');
    expect(new Autojoin(dir).rooms('127.0.0.1:7447')).to.deep.equal([{ room: 'vault', password: 'sesame' }]);
    expect(new Autojoin(dir).rooms('[::1]:9000')).to.deep.equal([{ room: 'other' }]);
  });

  it('rejoins the rooms of the last run after a restart, a password room included, and not one that was left', async function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const home = uiHome(identity);
    const start = () => loggedInUi(server, 'ada', 0, { home, width: 100, height: 30 });
    let ui = await start();
    ui.line('/create vault sesame');
    await ui.waitFor('created and joined #vault');
    ui.line('/create dev');
    await ui.waitFor('created and joined #dev');
    ui.line('/create tmp');
    await ui.waitFor('created and joined #tmp');
    ui.line('/leave');
    await ui.waitFor((screen) => !screen.includes('#tmp'));
    const file = join(home.configDir, AUTOJOIN_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8')).servers[`${server.host}:${server.port}`]).to.deep.equal([{ room: 'vault', password: 'sesame' }, { room: 'dev' }]);
    ui.keys('C-c');
    ui.kill();

    ui = await start();
    const screen = await ui.waitFor((text) => text.includes('#vault') && text.includes('#dev'));
    expect(screen).not.to.contain('#tmp');
    expect(screen).not.to.contain('could not rejoin');
    // Rejoined for real: the server lists ada in #vault.
    ui.line('/members vault');
    await ui.waitFor((text) => text.includes('Members of #vault:') && / {6,}ada · said/.test(text));
  });
});
