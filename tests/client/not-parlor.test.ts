// A client pointed at something that is not a parlor server (a wrong port) says so, naming what
// answered: real local servers of other protocols, on 127.0.0.1 port 0.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ParlorClient } from '../../src/client/client.ts';
import { notParlorError, recogniseProtocol } from '../../src/protocol/foreign-protocols.ts';
import { expectCode } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('client: a server that is not parlor (NOT_PARLOR)', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function listening(server: Server): Promise<number> {
    servers.push(server);
    server.on('connection', (socket: Socket) => sockets.add(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Whatever connects gets these bytes first; the connection then stays open, or ends with `end`. */
  const speaking = (bytes: () => Buffer, end: boolean) => createServer((socket) => {
    socket.on('error', () => {});
    if (end) socket.end(bytes());
    else socket.write(bytes());
  });

  async function connectTo(port: number) {
    const [identity] = await sharedIdentities();
    return ParlorClient.connect({ host: '127.0.0.1', port, identity: identity!, configDir: tempDir('cfg'), handshakeTimeoutMs: 5000 });
  }

  it('names an HTTP server as HTTP, with its address (parlor ping exits 1 with the code)', async () => {
    const port = await listening(createHttpServer((_request, response) => response.end('hello')));
    const error = await expectCode(connectTo(port), 'NOT_PARLOR');
    expect(error.message).to.match(new RegExp(`^127\\.0\\.0\\.1:${port} answered with HTTP, not parlor`));
    const ping = await runParlor(['ping', '--server', `127.0.0.1:${port}`, '--config', tempDir('cfg')]);
    expect(ping.code).to.equal(1);
    expect(ping.stderr).to.include(`parlor: NOT_PARLOR: 127.0.0.1:${port} answered with HTTP, not parlor`).and.not.include('FRAME_TOO_LARGE');
  });

  it('names an SSH server by its banner, and a TLS record as TLS', async () => {
    const ssh = await listening(speaking(() => Buffer.from('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'), false));
    expect((await expectCode(connectTo(ssh), 'NOT_PARLOR')).message).to.include(`127.0.0.1:${ssh} answered with SSH, not parlor`);
    // A TLS alert record (handshake_failure), as a TLS server sends to a client it cannot parse.
    const tls = await listening(speaking(() => Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28]), true));
    expect((await expectCode(connectTo(tls), 'NOT_PARLOR')).message).to.include(`127.0.0.1:${tls} answered with TLS, not parlor`);
  });

  it('says NOT_PARLOR for random bytes, whatever length their first four bytes announce', async () => {
    const random = await listening(speaking(() => randomBytes(64), true));
    for (let attempt = 0; attempt < 3; attempt++) {
      const error = await expectCode(connectTo(random), 'NOT_PARLOR');
      expect(error.message).to.match(new RegExp(`^127\\.0\\.0\\.1:${random} answered with `));
    }
    // A first frame that decodes but is no handshake reply, and a short one cut off by the close.
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from('abc')]);
    const framed = await listening(speaking(() => frame, false));
    expect((await expectCode(connectTo(framed), 'NOT_PARLOR')).message).to.include('not a parlor handshake (00000003616263…)');
    const cut = await listening(speaking(() => Buffer.from([0, 0, 0, 200, 1, 2]), true));
    await expectCode(connectTo(cut), 'NOT_PARLOR');
  });

  it('recognises protocols by their first bytes', () => {
    expect(recogniseProtocol(Buffer.from('HTTP/1.1 400 Bad Request\r\n'))).to.equal('HTTP');
    expect(recogniseProtocol(Buffer.from('SSH-2.0-dropbear\r\n'))).to.equal('SSH');
    expect(recogniseProtocol(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x7a]))).to.equal('TLS');
    expect(recogniseProtocol(Buffer.from('220 mail.example ESMTP\r\n'))).to.include('SMTP');
    expect(recogniseProtocol(Buffer.from([0x00, 0x00, 0x01, 0x2c, 0x02]))).to.equal(undefined);
    expect(notParlorError('[::1]:80', Buffer.from('HTTP/1.0 200 OK')).message).to.match(/^\[::1\]:80 answered with HTTP, not parlor/);
  });
});
