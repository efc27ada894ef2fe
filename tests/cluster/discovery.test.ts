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
import { JOIN_PASSWORD } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { freeUdpPort } from '../helpers/udp-port.ts';

describe('cluster: discovery lists one chat with several addresses', function () {
  this.timeout(60_000);

  it('advertises the first server\'s name for the chat from every server, and parlor discover --json shows one chat with both addresses', async function () {
    const url = await freshDatabase(this, 'discovery');
    const discoveryPort = await freeUdpPort();
    const dirs = [tempDir('cluster-discovery'), tempDir('cluster-discovery')];
    const common = ['--database', url, '--password', JOIN_PASSWORD, '--discovery-port', String(discoveryPort)];
    // 127.0.0.2 is on loopback too, but nothing listens there: it shows that the advertised
    // address is the one given, not the one the server found for itself.
    const first = await startServerProcess(['--data', dirs[0]!, '--name', 'Campus', '--advertise-address', '127.0.0.2', ...common]);
    copyFileSync(join(dirs[0]!, SERVER_IDENTITY_FILE), join(dirs[1]!, SERVER_IDENTITY_FILE));
    const second = await startServerProcess(['--data', dirs[1]!, '--name', 'Annex', ...common]);

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
});
