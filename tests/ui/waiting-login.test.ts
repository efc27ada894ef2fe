// The waiting room and the login room in a real terminal (tmux). Discovery stays on loopback:
// probes go to 127.255.255.255 only, and nothing multicasts (--no-mdns everywhere).

import { expect } from 'chai';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasTmux, killTmuxSessions, TmuxUi, uiHome } from '../helpers/tmux.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ui/waiting and login rooms (tmux)', function () {
  this.timeout(30_000);

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => killTmuxSessions());

  it('shows a wrong password beside the password field, then logs in with the right one', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const ui = TmuxUi.start(['--server', `${server.host}:${server.port}`, '--name', 'alice'], { home: uiHome(identity) });
    await ui.waitFor('Password');
    ui.line('nope');
    const screen = await ui.waitFor('BAD_PASSWORD');
    expect(screen).to.match(/Password\s+\[.*\][\s\S]*✗ BAD_PASSWORD/);
    ui.keys('C-u');
    ui.line('pw');
    await ui.waitFor('● connected');
  });

  it('shows the server once, the key once proven, the focus plainly, and the name last used on that server', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const home = uiHome(identity);
    const address = `${server.host}:${server.port}`;
    const first = TmuxUi.start(['--server', address, '--name', 'ada'], { home });
    let screen = await first.waitFor('Password');
    // Typed by hand: the address is all there is to say of the server, once.
    expect(screen).to.match(new RegExp(`Server\\s+${address.replace(/\./g, '\\.')}\\s*│`));
    expect(screen).to.contain('(presented when you connect)');
    // The name is filled, so the focus starts on the empty password field, with its pointer.
    expect(screen).to.match(/▸ Password\s+\[/);
    expect(screen).not.to.match(/▸ Name/);
    first.line('wrong');
    screen = await first.waitFor('BAD_PASSWORD');
    // The handshake proved the key before the password was refused: the Key row shows it.
    expect(screen).to.contain(server.fingerprint);
    first.keys('C-u');
    first.line('pw');
    await first.waitFor('● connected');
    first.kill();
    // Without --name, the next run offers the name last used on this server.
    const second = TmuxUi.start(['--server', address], { home });
    screen = await second.waitFor('Password');
    expect(screen).to.match(/Name\s+\[ada\s/);
    expect(screen).to.match(/▸ Password/);
  });

  it('puts the name and password first in a short terminal, where the lines about the server would push them off', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const ui = TmuxUi.start(['--server', `${server.host}:${server.port}`, '--name', 'alice'], { home: uiHome(identity), width: 40, height: 12 });
    const screen = await ui.waitFor('Password');
    expect(screen.indexOf('Password')).to.be.lessThan(screen.indexOf('Server'));
    ui.line('pw');
    await ui.waitFor('● connected');
  });

  it('blocks login behind a red warning when the server\'s key changed, until the user types yes', async () => {
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [identity] = await sharedIdentities();
    const home = uiHome(identity);
    const stale = 'SHA256:' + 'A'.repeat(43);
    writeFileSync(join(home.configDir, 'known_servers'), `address ${stale} ${server.host}:${server.port}\n`);
    const ui = TmuxUi.start(['--server', `${server.host}:${server.port}`, '--name', 'alice', '--password', 'pw'], { home, width: 100, height: 30 });
    await ui.waitFor('parlor: log in');
    ui.keys('Enter');
    const warning = await ui.waitFor("THE SERVER'S IDENTITY KEY HAS CHANGED");
    expect(warning).to.contain(stale).and.contain(server.fingerprint).and.match(/\] {2}type yes/);
    ui.keys('Enter');
    await ui.waitFor('only if its operator confirmed');
    ui.line('yes');
    await ui.waitFor('● connected');
    expect(readFileSync(join(home.configDir, 'known_servers'), 'utf8')).to.contain(server.fingerprint).and.not.contain(stale);
  });

  it('lists a server found by broadcast on loopback with its users and key, and logs in to it', async () => {
    const discoveryPort = await freeUdpPort();
    await startServerProcess(['--ephemeral', '--password', 'pw', '--name', 'test-parlor', '--discovery-port', String(discoveryPort)]);
    const [identity] = await sharedIdentities();
    const ui = TmuxUi.start(['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '1500', '--name', 'alice'], { home: uiHome(identity) });
    const screen = await ui.waitFor(/test-parlor\s+127\.0\.0\.1:\d+\s+0 online\s+SHA256:\S+\s+new/);
    expect(screen).to.contain('Servers on this network');
    ui.keys('Enter');
    // The join password came with the advert: Enter logs in.
    await ui.waitFor('parlor: log in');
    ui.keys('Enter');
    await ui.waitFor('● connected');
  });

  it('shows discovery\'s hints when nothing answers', async () => {
    const discoveryPort = await freeUdpPort();
    const ui = TmuxUi.start(['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '500'], { home: uiHome((await sharedIdentities())[0]), width: 100 });
    await ui.waitFor('No parlor server answered within 500 ms');
    const screen = ui.capture();
    expect(screen).to.contain('firewall').and.contain('client isolation');
    // The hints are parlor's own lines: shown as lines, not with their breaks made inert (^J).
    expect(screen).to.match(/^│Usual causes:/m).and.not.contain('^J');
  });

  /** A UI that asked to host a server here, in the login room for it: the UI and its login screen. */
  async function hostingHere(): Promise<{ ui: TmuxUi; login: string }> {
    const discoveryPort = await freeUdpPort();
    const ui = TmuxUi.start(
      ['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '500', '--serve-host', '127.0.0.1', '--serve-port', '0', '--name', 'host'],
      { home: uiHome((await sharedIdentities())[0]), width: 120 },
    );
    await ui.waitFor('Search finished');
    ui.keys('h');
    return { ui, login: await ui.waitFor(/join password (\S+)/) };
  }

  /** Waits (at most 10 s) until none of the processes is alive. */
  async function untilEnded(...pids: number[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  }

  it('hosts a server here, shows its password, logs in, and ends it when the UI quits', async () => {
    const { ui, login } = await hostingHere();
    expect(login).to.contain('this server runs here');
    ui.keys('Enter');
    await ui.waitFor('● connected');
    await ui.waitFor(/hosting, password \S+/);
    const pids = ui.pids();
    expect(pids.length).to.be.at.least(3);
    const [, uiPid, serverPid] = pids;
    ui.keys('C-c');
    await untilEnded(uiPid!, serverPid!);
    expect(alive(serverPid!), 'the hosted server ended with the UI').to.equal(false);
    expect(alive(uiPid!)).to.equal(false);
  });

  it('ends the hosted server even when the UI is killed (SIGKILL), as when its terminal is gone', async () => {
    // Killed in the login room: nobody has logged in, so the server has nothing to write to the
    // UI's pipe that would fail; no exit handler runs on SIGKILL. Only the closed pipe tells it.
    const { ui } = await hostingHere();
    const [, uiPid, serverPid] = ui.pids();
    process.kill(uiPid!, 'SIGKILL');
    await untilEnded(serverPid!);
    expect(alive(serverPid!), 'the hosted server ended with the UI').to.equal(false);
  });

  it('stops the spinner once the search is over, and shows why hosting failed in full', async () => {
    const discoveryPort = await freeUdpPort();
    // A port in use on loopback: "host a server here" cannot listen there.
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const ui = TmuxUi.start(
        ['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '500', '--serve-host', '127.0.0.1', '--serve-port', String(port)],
        { home: uiHome((await sharedIdentities())[0]), width: 80 },
      );
      let screen = await ui.waitFor('Search finished');
      const still = screen;
      // A fixed wait on purpose: the test proves that nothing moves during it (no event to wait for).
      await new Promise((resolve) => setTimeout(resolve, 400));
      screen = ui.capture();
      // No spinner glyph, and nothing moves any more.
      expect(screen, screen).to.contain('✓').and.not.match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
      expect(screen.split('\n').slice(0, 7)).to.deep.equal(still.split('\n').slice(0, 7));
      ui.keys('h');
      screen = await ui.waitFor('could not start a server');
      // The whole reason, folded in the banner: the address and what went wrong, not "could not start a".
      expect(screen.replace(/[│\s]+/g, ' ')).to.contain(`127.0.0.1:${port}`);
      expect(screen).to.match(/EADDRINUSE|ADDRESS_IN_USE|in use/);
    } finally {
      taken.close();
    }
  });
});
