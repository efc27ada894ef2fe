// End-to-end messages against a real `parlor serve` child: what it keeps on disk and prints holds
// no plaintext of them, and a secret room of 20 members works, with blocking and history.

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatClient } from '../../src/client/chat-client.ts';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { connectChat, JOIN_PASSWORD, waitUntil } from '../helpers/chat-clients.ts';
import { collect, settle } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Every byte the server left in its data dir (SQLite, its WAL and shm, its key), and all it printed. */
function everythingTheServerKept(dataDir: string, server: ServerProcess): Buffer {
  const files = readdirSync(dataDir).map((name) => readFileSync(join(dataDir, name)));
  return Buffer.concat([...files, Buffer.from(JSON.stringify(server.events)), Buffer.from(server.stderr())]);
}

describe('server/e2e with a parlor serve child', () => {
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it('keeps no plaintext of end-to-end messages in its data dir (SQLite, WAL) or in its --json events', async () => {
    const dataDir = tempDir('e2e-data');
    // --json is the most verbose the server gets: one line per connection event (there is no
    // separate log file or debug level); stderr is read too.
    const server = await startServerProcess(['--data', dataDir, '--password', JOIN_PASSWORD, '--no-discovery']);
    const [adaId, bobId, cyId] = await sharedIdentities();
    const cyConfig = tempDir('cy');
    (await connectChat(server, cyId!, 'cy', { configDir: cyConfig })).close();
    const ada = await connectChat(server, adaId!, 'ada');
    const bob = await connectChat(server, bobId!, 'bob');
    clients.push(ada, bob);
    const marker = (what: string) => `zq-${what}-7c41e9b2d05f`;

    // A control in the clear, so that the search is shown to find what is there.
    await ada.join('lobby');
    await ada.say('lobby', marker('plain'));
    await ada.dm('bob', marker('dm'));
    await ada.dm('cy', marker('offline'));
    await ada.create('vault', 'door-pw', { secret: true });
    await bob.join('vault', 'door-pw');
    const got = collect(bob);
    await ada.say('vault', marker('room'));
    await settle(bob);
    expect(got.map((m) => m.text)).to.deep.equal([marker('room')]);
    const cy = await connectChat(server, cyId!, 'cy', { configDir: cyConfig });
    clients.push(cy);
    expect(cy.direct.map((m) => m.text)).to.deep.equal([marker('offline')]);

    const check = () => {
      const kept = everythingTheServerKept(dataDir, server);
      expect(kept.includes(marker('plain')), 'the clear control message is found').to.equal(true);
      for (const what of ['dm', 'offline', 'room']) expect(kept.includes(marker(what)), `${what} found in the server's data`).to.equal(false);
      // Nor the room password, which is kept as an scrypt hash.
      expect(kept.includes('door-pw')).to.equal(false);
    };
    check();
    // After a clean stop the WAL is checkpointed into the database: search that too.
    for (const client of clients.splice(0)) client.close();
    expect(await server.stop()).to.equal(0);
    check();
  });

  it('runs a secret room of 20 members: everyone reads everyone, blocks hold, history stays readable', async () => {
    const server = await startServerProcess(['--data', tempDir('e2e-20'), '--password', JOIN_PASSWORD, '--no-discovery', '--rate', '1000', '--burst', '1000']);
    const shared = await sharedIdentities();
    const names = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    // Three keys among twenty names (a name is bound to a key, a key may hold several names):
    // keygen is what would make this slow, not the room.
    for (const [i, name] of names.entries()) clients.push(await connectChat(server, shared[i % shared.length]!, name));
    const [owner, ...rest] = clients;
    await owner!.create('vault', undefined, { secret: true });
    for (const member of rest) expect((await member.join('vault')).secret).to.equal(true);
    for (const member of clients) await settle(member);
    // m01 blocks m02: neither hears the other.
    await clients[1]!.block('m02');

    const received = clients.map((member) => collect(member));
    for (const [i, member] of clients.entries()) await member.say('vault', `hello from ${names[i]}`);
    const expected = (i: number) => (i === 1 || i === 2 ? 18 : 19);
    await waitUntil(
      () => received.every((got, i) => got.length >= expected(i)),
      'every member to get the others’ messages',
      20_000,
      () => received.map((got) => got.length).join(','),
    );
    for (const [i, got] of received.entries()) {
      const senders = got.map((message: DeliveredMessage) => {
        expect(message.e2e?.state, JSON.stringify(message.e2e)).to.equal('verified');
        expect(message.text).to.equal(`hello from ${message.from}`);
        return message.from;
      });
      const blocked = i === 1 ? 'm02' : i === 2 ? 'm01' : undefined;
      expect(senders.sort()).to.deep.equal(names.filter((name, j) => j !== i && name !== blocked));
    }
    // History, read by the last to join, opens every message (all were sealed to it).
    const page = await clients[19]!.history({ room: 'vault' });
    expect(page.notSealedToYou).to.equal(0);
    expect(page.messages.map((m) => m.text)).to.deep.equal(names.map((name) => `hello from ${name}`));
  });
});
