// A newer server may answer with error codes this client has never heard of. Such an error must
// fail its request at once with the code as the server sent it, never be dropped by the schema
// (which would leave the request hanging until TIMEOUT). The "newer server" here is a peer built
// from the product's own transport and handshake, answering every request with a made-up code.

import { expect } from 'chai';
import { createServer, type Server } from 'node:net';
import { ParlorClient } from '../../src/client/client.ts';
import { generateServerIdentity } from '../../src/crypto/identity.ts';
import { SecureConnection } from '../../src/transport/secure-connection.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NEWER_CODE = 'QUANTUM_ENTANGLED';

/** A server that completes the handshake, welcomes, then answers every request with NEWER_CODE. */
async function newerServer(
  onRequest: (connection: SecureConnection, request: { id: number; type: string }) => void,
  onOpen: (connection: SecureConnection) => void = () => {},
): Promise<{ server: Server; port: number; fingerprint: string }> {
  const identity = generateServerIdentity();
  const server = createServer((socket) => {
    SecureConnection.accept(socket, { identity, serverName: 'newer', handshakeTimeoutMs: 5000, frameCap: 1 << 20 }).then(
      ({ connection, client }) => {
        connection.on('message', (message) => onRequest(connection, message as { id: number; type: string }));
        connection.on('close', () => {});
        connection.send({ type: 'welcome', server: { name: 'newer', version: '99.0.0', fingerprint: identity.fingerprint }, you: { fingerprint: client.fingerprint } });
        onOpen(connection);
        connection.start();
      },
      () => {},
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return { server, port: address.port, fingerprint: identity.fingerprint };
}

describe('client/unknown error codes', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('fails a request at once with a code this client does not know, kept as the server sent it', async () => {
    const started = await newerServer((connection, request) => connection.send({ type: 'error', re: request.id, code: NEWER_CODE, message: 'from the future' }));
    server = started.server;
    const [identity] = await sharedIdentities();
    const client = await ParlorClient.connect({
      host: '127.0.0.1',
      port: started.port,
      identity: identity!,
      configDir: tempDir('unknown-codes'),
      fingerprint: started.fingerprint,
      // Far beyond the test's own deadline: a dropped error would show up as TIMEOUT, not as a pass.
      requestTimeoutMs: 120_000,
    });
    try {
      const error = await client.request('ping').then(
        () => undefined,
        (reason: unknown) => reason as { code: string; message: string },
      );
      expect(error?.code).to.equal(NEWER_CODE);
      expect(error?.message).to.equal('from the future');
    } finally {
      client.close();
    }
  });

  it('keeps an unknown code in a closing message as the reason the connection ended', async () => {
    // A closing with a code of the future, sent as a raw message right after the welcome.
    const started = await newerServer(() => {}, (connection) => connection.send({ type: 'closing', code: NEWER_CODE, message: 'the future is closed' }));
    server = started.server;
    const [identity] = await sharedIdentities();
    const client = await ParlorClient.connect({ host: '127.0.0.1', port: started.port, identity: identity!, configDir: tempDir('unknown-codes'), fingerprint: started.fingerprint });
    const { reason } = await client.closedPromise();
    expect(reason.code).to.equal(NEWER_CODE);
    expect(reason.message).to.equal('the future is closed');
  });

  it('`parlor send` prints the unknown code on stderr and exits non-zero', async () => {
    const started = await newerServer((connection, request) => connection.send({ type: 'error', re: request.id, code: NEWER_CODE, message: 'from the future' }));
    server = started.server;
    const result = await runParlor(['send', '--server', `127.0.0.1:${started.port}`, '--fingerprint', started.fingerprint, '--config', tempDir('unknown-codes-cli'), '--password', 'pw', '--name', 'ada', 'hello']);
    expect(result.code).to.not.equal(0);
    expect(result.stderr).to.contain(`parlor: ${NEWER_CODE}: from the future`);
  });
});
