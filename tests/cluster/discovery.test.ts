// Discovery of a chat on several servers, on this machine only (UDP broadcast to 127.255.255.255,
// no mDNS): both servers answer on one discovery port, advertise the chat's one name (the first
// server's, kept in the database) and its id, and `parlor discover` lists them as ONE chat with
// two addresses. `--advertise-address` is the host that a server puts in its adverts and that the
// chat's other servers hand to their clients.

import { expect } from 'chai';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParlorClient } from '../../src/client/client.ts';
import { SERVER_IDENTITY_FILE } from '../../src/crypto/identity.ts';
import { connectChat, JOIN_PASSWORD } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { hasTmux, killTmuxSessions, TmuxUi, uiHome } from '../helpers/tmux.ts';
import { endWebClients, launchChromium, openPage, startWebProcess } from '../helpers/web-client.ts';

/** Two servers of one chat, "Campus" (the first) and "Annex", answering probes on one discovery port. */
async function startCampus(context: Mocha.Context): Promise<{ first: ServerProcess; second: ServerProcess; discoveryPort: number }> {
  const url = await freshDatabase(context, 'discovery');
  const discoveryPort = await freeUdpPort();
  const dirs = [tempDir('cluster-discovery'), tempDir('cluster-discovery')];
  const common = ['--database', url, '--password', JOIN_PASSWORD, '--discovery-port', String(discoveryPort)];
  // 127.0.0.2 is on loopback too, but nothing listens there: it shows that the advertised
  // address is the one given, not the one the server found for itself.
  const first = await startServerProcess(['--data', dirs[0]!, '--name', 'Campus', '--advertise-address', '127.0.0.2', ...common]);
  copyFileSync(join(dirs[0]!, SERVER_IDENTITY_FILE), join(dirs[1]!, SERVER_IDENTITY_FILE));
  const second = await startServerProcess(['--data', dirs[1]!, '--name', 'Annex', ...common]);
  return { first, second, discoveryPort };
}

describe('cluster: discovery lists one chat with several addresses', function () {
  this.timeout(60_000);
  // The browser and the `parlor web` process end with the test, pass or fail.
  afterEach(endWebClients);

  it('advertises the first server\'s name for the chat from every server, and parlor discover --json shows one chat with both addresses', async function () {
    const { first, second, discoveryPort } = await startCampus(this);

    // The second server's --name differs: it is told the chat's name, and keeps its own among the servers.
    const listening = [first, second].map((server) => server.events.find((event) => event.event === 'listening')!);
    expect(listening.map((event) => (event.chat as { name: string }).name)).to.deep.equal(['Campus', 'Campus']);
    expect(second.events.some((event) => event.event === 'warning' && String(event.message).includes('this chat is called "Campus"'))).to.equal(true);
    expect(first.events.some((event) => event.event === 'warning' && String(event.message).includes('this chat is called'))).to.equal(false);

    const found = await runParlor(['discover', '--json', '--broadcast', '127.255.255.255', '--no-mdns', '--timeout', '1500', '--discovery-port', String(discoveryPort)]);
    expect(found.code, found.stderr).to.equal(0);
    const events = found.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; name: string; chat?: string; addresses: Array<{ address: string; server?: string }> });
    expect(events.filter((event) => event.event === 'server'), found.stdout).to.have.length(1);
    const chat = events.at(-1)!;
    expect(chat.name).to.equal('Campus');
    expect(chat.chat).to.equal((listening[0]!.chat as { id: string }).id);
    expect(chat.addresses.map((a) => `${a.address} ${a.server ?? '-'}`).sort()).to.deep.equal([`127.0.0.1:${second.port} Annex`, `127.0.0.2:${first.port} -`].sort());

    // In words: one line, both addresses.
    const text = await runParlor(['discover', '--broadcast', '127.255.255.255', '--no-mdns', '--timeout', '1500', '--discovery-port', String(discoveryPort)]);
    const lines = text.stdout.trim().split('\n');
    expect(lines, text.stdout).to.have.length(1);
    expect(lines[0]).to.match(/^Campus at /).and.include(`127.0.0.2:${first.port}`).and.include(`127.0.0.1:${second.port} (Annex)`);

    // The welcome from the second server names the chat and hands out the first's advertised address.
    const [ada] = await sharedIdentities();
    const client = await ParlorClient.connect({ host: second.host, port: second.port, identity: ada!, configDir: tempDir('cluster-discovery-client') });
    try {
      expect(client.chat).to.deep.include({ name: 'Campus', servers: [{ name: 'Campus', address: `127.0.0.2:${first.port}` }] });
    } finally {
      client.close();
    }
  });

  it('advertises the whole chat\'s people online from every server, a person on two servers once', async function () {
    const { first, second, discoveryPort } = await startCampus(this);
    const [ada, bob] = await sharedIdentities();
    const clients = [
      await connectChat(first, ada!, 'ada'),
      await connectChat(second, ada!, 'ada'),
      await connectChat(second, bob!, 'bob'),
    ];
    try {
      const discover = async () => {
        const found = await runParlor(['discover', '--json', '--broadcast', '127.255.255.255', '--no-mdns', '--timeout', '1500', '--discovery-port', String(discoveryPort)]);
        expect(found.code, found.stderr).to.equal(0);
        return found.stdout.trim().split('\n').map((line) => JSON.parse(line) as { users?: number; addresses: Array<{ address: string; users?: number }> }).at(-1)!;
      };
      // Each server hears the other's people through the database: wait until both count two.
      let chat = await discover();
      for (let attempt = 0; attempt < 20 && !(chat.addresses.length === 2 && chat.addresses.every((a) => a.users === 2)); attempt++) chat = await discover();
      expect(chat.addresses.map((a) => a.users), JSON.stringify(chat)).to.deep.equal([2, 2]);
      expect(chat.users).to.equal(2);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('lists the chat as one row with both addresses in the terminal and web waiting rooms', async function () {
    const { first, second, discoveryPort } = await startCampus(this);
    const look = ['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '1500'];
    const [identity] = await sharedIdentities();
    const addresses = [`127.0.0.2:${first.port}`, `127.0.0.1:${second.port}`];

    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
    try {
      const ui = TmuxUi.start([...look, '--name', 'alice'], { home: uiHome(identity), width: 120 });
      const screen = await ui.waitFor(/Search finished: 1 server found/);
      const rows = screen.split('\n').filter((line) => line.includes('Campus'));
      expect(rows, screen).to.have.length(1);
      expect(rows[0]).to.match(/127\.0\.0\.[12]:\d+ \+1/);
      for (const address of addresses) expect(rows[0]).to.include(address);
    } finally {
      killTmuxSessions();
    }

    const browser = await launchChromium(this);
    const page = await openPage(browser, await startWebProcess([...look, '--name', 'alice'], { identity: identity! }));
    await page.waitForSelector('.server:has-text("Campus"):has-text("also")');
    await page.waitForSelector('text=Search finished');
    const rows = await page.locator('.server').allInnerTexts();
    expect(rows, rows.join(' | ')).to.have.length(1);
    for (const address of addresses) expect(rows[0]).to.include(address);
    expect(page.errors).to.deep.equal([]);
  });
});
