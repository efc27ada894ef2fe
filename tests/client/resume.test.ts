// A connection that dies on the client's side only (a laptop's Wi-Fi drops; the server has not
// noticed yet) leaves a ghost session on the server. The client's reconnect names its old session
// (`resume`), so the ghost is replaced instead of lingering in the rooms as a second "ada".

import { expect } from 'chai';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ChatClient } from '../../src/client/chat-client.ts';
import type { JoinedMessage, LeftMessage } from '../../src/protocol/messages.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { PASSWORD, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Forwards to the server; cutClients() drops the client sides only, leaving the server's open. */
async function halfOpenRelay(targetPort: number): Promise<{ port: number; cutClients(): void; close(): void }> {
  const clients = new Set<Socket>();
  const upstreams = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    clients.add(client);
    upstreams.add(upstream);
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('data', (chunk: Buffer) => !client.destroyed && client.write(chunk));
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return {
    port: address.port,
    cutClients: () => {
      for (const client of clients) client.destroy();
      clients.clear();
    },
    close: () => {
      for (const socket of [...clients, ...upstreams]) socket.destroy();
      server.close();
    },
  };
}

describe('client/resume: a reconnect replaces its own ghost session', () => {
  let world: World;
  let relay: Awaited<ReturnType<typeof halfOpenRelay>> | undefined;
  let ada: ChatClient | undefined;
  afterEach(async () => {
    ada?.close();
    relay?.close();
    await world?.stop();
  });

  it('the ghost is closed with SESSION_REPLACED and the room sees ada neither leave nor join', async () => {
    world = await startWorld();
    relay = await halfOpenRelay(world.server.address.port);
    const [identity] = await sharedIdentities();
    ada = await ChatClient.connect({
      host: '127.0.0.1',
      port: relay.port,
      identity: identity!,
      configDir: tempDir('resume'),
      fingerprint: world.server.fingerprint,
      name: 'ada',
      password: PASSWORD,
      reconnectDelayMs: 50,
    });
    await ada.join('lobby');
    const bob = await world.login('bob');
    await bob.join('lobby');
    const presence: string[] = [];
    bob.on('joined', (event: JoinedMessage) => presence.push(`joined ${event.name}`));
    bob.on('left', (event: LeftMessage) => presence.push(`left ${event.name}`));
    const reconnected = new Promise<void>((resolve) => ada!.once('reconnected', resolve));

    relay.cutClients();
    await reconnected;
    await waitUntil(() => world.events.some((event) => event.event === 'disconnect' && event.name === 'ada'), 'the ghost to be closed');
    expect(world.events.filter((event) => event.event === 'disconnect' && event.name === 'ada').map((event) => (event as { code: string }).code)).to.deep.equal(['SESSION_REPLACED']);
    await settle(bob);
    expect(presence).to.deep.equal([]);
    expect((await bob.members('lobby')).members.map((m) => m.name)).to.deep.equal(['ada', 'bob']);
    const got = new Promise<string>((resolve) => bob.once('message', (message) => resolve(message.text)));
    await ada.say('lobby', 'back, once');
    expect(await got).to.equal('back, once');
  });
});
