// The SSH front door's bridge (ssh/bridge-socket.ts) joins a visitor's client to the server inside
// one process, and its frames skip AES-GCM (transport/in-process.ts). These tests hold the two
// sides of that: on the bridge a message is in clear after the handshake; on a TCP connection
// the same message is never in clear, and no socket from the network carries the mark.

import { expect } from 'chai';
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import { generateClientIdentity, generateServerIdentity } from '../../src/crypto/identity.ts';
import { bridgeSocketPair } from '../../src/ssh/bridge-socket.ts';
import { isInProcess } from '../../src/transport/in-process.ts';
import { SecureConnection } from '../../src/transport/secure-connection.ts';

const SECRET = 'the quick brown fox says hello over the wire';

/** Handshakes over the two sockets, sends SECRET from the client, and returns every byte the server's socket read. */
async function exchange(clientSocket: Socket, serverSocket: Socket): Promise<Buffer> {
  const read: Buffer[] = [];
  serverSocket.on('data', (chunk: Buffer) => read.push(Buffer.from(chunk)));
  const identity = generateServerIdentity();
  const [accepted, connected] = await Promise.all([
    SecureConnection.accept(serverSocket, { identity, serverName: 'test', handshakeTimeoutMs: 5000, frameCap: 1 << 20 }),
    SecureConnection.connect(clientSocket, { identity: await generateClientIdentity(), checkServerKey: () => {}, handshakeTimeoutMs: 5000, frameCap: 1 << 20 }),
  ]);
  try {
    const received = new Promise<unknown>((resolve) => accepted.connection.on('message', resolve));
    accepted.connection.start();
    connected.connection.start();
    connected.connection.send({ type: 'say', text: SECRET });
    expect(await received).to.deep.equal({ type: 'say', text: SECRET });
    return Buffer.concat(read);
  } finally {
    accepted.connection.close();
    connected.connection.close();
  }
}

describe('transport/in-process: unencrypted frames only between two ends in this process', function () {
  this.timeout(20_000);

  it('sends a message in clear over the SSH bridge, both ends marked', async () => {
    const { client, server } = bridgeSocketPair({ address: '192.0.2.7', port: 50_000 });
    expect(isInProcess(client) && isInProcess(server)).to.equal(true);
    const bytes = await exchange(client, server);
    expect(bytes.includes(Buffer.from(SECRET))).to.equal(true);
  });

  it('never sends it in clear over TCP, whose sockets carry no mark', async () => {
    const listener = createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    try {
      const port = (listener.address() as { port: number }).port;
      const accepted = once(listener, 'connection') as Promise<[Socket]>;
      const clientSocket = connect(port, '127.0.0.1');
      await once(clientSocket, 'connect');
      const [serverSocket] = await accepted;
      expect(isInProcess(clientSocket) || isInProcess(serverSocket)).to.equal(false);
      const bytes = await exchange(clientSocket, serverSocket);
      expect(bytes.length).to.be.greaterThan(SECRET.length);
      expect(bytes.includes(Buffer.from(SECRET))).to.equal(false);
      clientSocket.destroy();
      serverSocket.destroy();
    } finally {
      listener.close();
    }
  });
});
