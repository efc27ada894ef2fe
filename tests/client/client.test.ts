// The client library against live servers on 127.0.0.1: trust on first use, pinning, and a man in
// the middle on a real TCP relay.

import { expect } from 'chai';
import { createServer, connect, type Server } from 'node:net';
import { ParlorClient } from '../../src/client/client.ts';
import { generateX25519 } from '../../src/crypto/raw-keys.ts';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.ts';
import { ParlorServer } from '../../src/server/server.ts';
import { expectCode } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';


describe('client: connecting to a live server', () => {
  const servers: ParlorServer[] = [];
  const start = async (options: Partial<Parameters<typeof ParlorServer.start>[0]> = {}) => {
    const server = await ParlorServer.start({ host: '127.0.0.1', port: 0, name: 'test', ephemeral: true, ...options });
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('connects, learns the server (new, then known), and pings', async () => {
    const [identity] = await sharedIdentities();
    const server = await start();
    const configDir = tempDir('client');
    const first = await ParlorClient.connect({ host: '127.0.0.1', port: server.address.port, identity: identity!, configDir });
    expect(first.server).to.include({ name: 'test', fingerprint: server.fingerprint, trust: 'new' });
    expect(first.fingerprint).to.equal(identity!.fingerprint);
    expect(await first.ping()).to.be.a('number');
    first.close();
    const second = await ParlorClient.connect({ host: '127.0.0.1', port: server.address.port, identity: identity!, configDir });
    expect(second.server.trust).to.equal('known');
    second.close();
  });

  it('connects by host name through getaddrinfo, and over IPv6 where the host has it', async () => {
    const [identity] = await sharedIdentities();
    const server = await start({ host: '::' });
    const configDir = tempDir('client');
    const byName = await ParlorClient.connect({ host: 'localhost', port: server.address.port, identity: identity!, configDir });
    expect(await byName.ping()).to.be.a('number');
    byName.close();
    if (server.address.host === '::') {
      const v6 = await ParlorClient.connect({ host: '::1', port: server.address.port, identity: identity!, configDir });
      expect(v6.server.address).to.equal(`[::1]:${server.address.port}`);
      v6.close();
    }
  });

  it('refuses, loudly, a server whose key changed at a known address; --accept-new-key takes it', async () => {
    const [identity] = await sharedIdentities();
    const configDir = tempDir('client');
    const original = await start();
    const port = original.address.port;
    (await ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir })).close();
    await original.stop();
    const impostor = await start({ port });
    const error = await expectCode(ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir }), 'SERVER_KEY_CHANGED');
    expect(error.message).to.include(original.fingerprint).and.include(impostor.fingerprint).and.include('--accept-new-key');
    const accepted = await ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir, acceptNewKey: true });
    expect(accepted.server.trust).to.equal('accepted-new');
    accepted.close();
    const after = await ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir });
    expect(after.server.trust).to.equal('known');
    after.close();
  });

  it('refuses a server that presents another key than the pinned fingerprint, and remembers nothing', async () => {
    const [identity] = await sharedIdentities();
    const configDir = tempDir('client');
    const server = await start();
    const other = await start();
    const port = server.address.port;
    await expectCode(ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir, fingerprint: other.fingerprint }), 'FINGERPRINT_MISMATCH');
    const pinned = await ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir, fingerprint: server.fingerprint });
    expect(pinned.server.trust).to.equal('pinned');
    pinned.close();
  });

  it('refuses a man-in-the-middle relay that swaps the X25519 keys (BAD_SIGNATURE)', async () => {
    const [identity] = await sharedIdentities();
    const server = await start();
    // A relay that forwards everything, but puts its own X25519 key into the ClientHello.
    const relay: Server = createServer((inbound) => {
      const outbound = connect({ host: '127.0.0.1', port: server.address.port });
      const decoder = new FrameDecoder(4096);
      let first = true;
      inbound.on('data', (chunk: Buffer) => {
        if (!first) return void outbound.write(chunk);
        for (const frame of decoder.push(chunk)) {
          const swapped = Buffer.from(frame);
          generateX25519().publicRaw.copy(swapped, 6);
          outbound.write(encodeFrame(swapped));
          first = false;
        }
      });
      outbound.on('data', (chunk: Buffer) => inbound.write(chunk));
      outbound.on('close', () => inbound.destroy());
      inbound.on('close', () => outbound.destroy());
      inbound.on('error', () => {});
      outbound.on('error', () => {});
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const port = (relay.address() as { port: number }).port;
      await expectCode(ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir: tempDir('client') }), 'BAD_SIGNATURE');
    } finally {
      relay.close();
    }
  });

  it('says CONNECTION_FAILED for a port where nothing listens', async () => {
    const [identity] = await sharedIdentities();
    const server = await start();
    const port = server.address.port;
    await server.stop();
    await expectCode(ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir: tempDir('client') }), 'CONNECTION_FAILED');
  });

  it('rejects pending requests with the reason when the server goes away', async () => {
    const [identity] = await sharedIdentities();
    const server = await start();
    const client = await ParlorClient.connect({ host: '127.0.0.1', port: server.address.port, identity: identity!, configDir: tempDir('client') });
    const closed = client.closedPromise();
    await server.stop();
    expect((await closed).reason.code).to.equal('SERVER_SHUTDOWN');
    await expectCode(client.request('ping'), 'SERVER_SHUTDOWN');
  });
});
