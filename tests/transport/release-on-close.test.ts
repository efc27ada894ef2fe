// A closed SecureConnection lets go of its socket and of its owner's listeners (secure-connection.ts,
// detachFromSocket and emitClose): a closed socket stays reachable from its native handle until a
// full garbage collection, so whatever it still reached (the connection, its session, the server's
// closures) outlived every young collection. Real sockets on 127.0.0.1, the real handshake.

import { expect } from 'chai';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { generateServerIdentity } from '../../src/crypto/identity.ts';
import { SecureConnection, type CloseInfo } from '../../src/transport/secure-connection.ts';
import { sharedIdentities } from '../helpers/identities.ts';

const OPTIONS = { handshakeTimeoutMs: 5000, frameCap: 1 << 20 };

/** How many of each event's listeners a socket has. */
function listeners(socket: Socket): Record<string, number> {
  return Object.fromEntries(['data', 'end', 'error', 'close'].map((event) => [event, socket.listenerCount(event)]));
}

describe('transport/release on close', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('once closed by the peer, the server side keeps no listener on its socket but a no-op for errors, and drops its own', async () => {
    const identity = generateServerIdentity();
    const [clientIdentity] = await sharedIdentities();
    const accepted = new Promise<{ socket: Socket; connection: SecureConnection }>((resolve, reject) => {
      server = createServer((socket) => {
        const before = listeners(socket);
        SecureConnection.accept(socket, { identity, serverName: 'release', ...OPTIONS }).then(({ connection }) => {
          // The connection added one listener of each kind while it was open.
          expect(listeners(socket)).to.deep.equal({ data: before.data! + 1, end: before.end! + 1, error: before.error! + 1, close: before.close! + 1 });
          connection.on('message', () => {});
          connection.start();
          resolve({ socket, connection });
        }, reject);
      });
    });
    server!.listen(0, '127.0.0.1');
    await once(server!, 'listening');
    const address = server!.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');

    const clientSocket = connect({ host: '127.0.0.1', port: address.port });
    await once(clientSocket, 'connect');
    const { connection: client } = await SecureConnection.connect(clientSocket, {
      identity: clientIdentity!,
      checkServerKey: () => {},
      ...OPTIONS,
    });
    const { socket, connection } = await accepted;
    const closed = new Promise<CloseInfo>((resolve) => connection.once('close', resolve));
    const baseline = listeners(socket);

    client.close();
    const info = await closed;
    expect(info.remote).to.equal(true);
    expect(info.reason.code).to.equal('CONNECTION_CLOSED');

    // What is left on the socket: nothing of the connection's but one error listener, which does nothing.
    expect(listeners(socket)).to.deep.equal({ data: baseline.data! - 1, end: baseline.end! - 1, error: baseline.error!, close: baseline.close! - 1 });
    expect(() => socket.emit('error', new Error('a late reset'))).not.to.throw();
    // And the owner's listeners are let go once 'close' was told.
    expect(connection.listenerCount('message')).to.equal(0);
    expect(connection.listenerCount('close')).to.equal(0);
    expect(connection.isOpen).to.equal(false);
    // Sending on a closed connection stays a no-op.
    expect(() => connection.send({ type: 'late' })).not.to.throw();
  });
});
