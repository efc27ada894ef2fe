import { expect } from 'chai';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CommandReply } from '../../src/commands/definition.ts';
import { enlightenmeCommand } from '../../src/commands/enlightenme.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import { caller, recordingActions } from './helpers.ts';

/** A stand-in for Wikipedia on 127.0.0.1: each test says how it answers. */
async function fakeWikipedia(answer: (request: IncomingMessage, response: ServerResponse) => void): Promise<{ url: string; server: Server; asked: string[] }> {
  const asked: string[] = [];
  const server = createServer((request, response) => {
    asked.push(request.url ?? '');
    answer(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, asked };
}

async function enlighten(baseUrl: string, requestTimeoutMs = 2_000): Promise<CommandReply> {
  const registry = new CommandRegistry();
  registry.add(enlightenmeCommand({ baseUrl, requestTimeoutMs }));
  return registry.run(caller(), '!enlightenme', recordingActions());
}

describe('commands/enlightenme', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.closeAllConnections(), server.close();
  });
  const start = async (answer: Parameters<typeof fakeWikipedia>[0]) => {
    const fake = await fakeWikipedia(answer);
    servers.push(fake.server);
    return fake;
  };

  it('answers with where Special:Random redirects, without following it', async () => {
    let followed = false;
    const fake = await start((request, response) => {
      if (request.url === '/wiki/Special:Random') response.writeHead(302, { Location: '/wiki/Ada_Lovelace' }).end();
      else {
        followed = true;
        response.writeHead(200).end('article');
      }
    });
    const reply = await enlighten(fake.url);
    expect(reply).to.deep.equal({ kind: 'link', url: `${fake.url}/wiki/Ada_Lovelace`, text: 'Ada Lovelace' });
    expect(fake.asked).to.deep.equal(['/wiki/Special:Random']);
    expect(followed).to.equal(false);
  });

  it('accepts an absolute Location on the same site, and a base URL with a path', async () => {
    const fake = await start((request, response) => {
      const base = `http://${request.headers.host}`;
      response.writeHead(301, { Location: `${base}/mirror/wiki/Caf%C3%A9_au_lait` }).end();
    });
    const reply = await enlighten(`${fake.url}/mirror`);
    expect(fake.asked).to.deep.equal(['/mirror/wiki/Special:Random']);
    expect(reply).to.deep.include({ kind: 'link', text: 'Café au lait' });
  });

  it('gives UPSTREAM_FAILED for a 200 instead of a redirect', async () => {
    const fake = await start((_q, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>no redirect</html>'));
    const reply = await enlighten(fake.url);
    expect(reply).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
    expect((reply as { message: string }).message).to.match(/answered 200/);
  });

  it('gives UPSTREAM_FAILED for a 500', async () => {
    const fake = await start((_q, response) => response.writeHead(500).end('down'));
    expect(await enlighten(fake.url)).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
  });

  it('gives UPSTREAM_FAILED for a redirect without a Location', async () => {
    const fake = await start((_q, response) => response.writeHead(302).end());
    expect(await enlighten(fake.url)).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
  });

  it('gives UPSTREAM_FAILED, not a hang, when the site is slow', async () => {
    const fake = await start(() => {
      /* never answers */
    });
    const reply = await enlighten(fake.url, 200);
    expect(reply).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
    expect((reply as { message: string }).message).to.match(/did not answer within 200 ms/);
  });

  it('refuses a Location off the configured site', async () => {
    for (const location of ['http://evil.example/wiki/Phish', '//evil.example/wiki/Phish', 'javascript:alert(1)', 'https://127.0.0.1.evil.example/']) {
      const fake = await start((_q, response) => response.writeHead(302, { Location: location }).end());
      const reply = await enlighten(fake.url);
      expect(reply, location).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
    }
  });

  it('gives UPSTREAM_FAILED when nothing listens there', async () => {
    const fake = await start(() => {});
    const url = fake.url;
    await new Promise((resolve) => fake.server.close(resolve));
    const reply = await enlighten(url);
    expect(reply).to.include({ kind: 'error', code: 'UPSTREAM_FAILED' });
    expect((reply as { message: string }).message).to.match(/could not be reached/);
  });
});
