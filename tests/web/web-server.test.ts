// parlor web's doors, over real sockets: loopback only; nothing without the token or the cookie;
// the token traded for an HttpOnly SameSite=Strict cookie and dropped from the URL; a foreign Host
// (DNS rebinding) refused; a WebSocket from another origin refused; a strict CSP on the page; and
// a WebSocket message that fails its schema answered with BAD_REQUEST, the process unharmed.

import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { WebSocket } from 'ws';
import { sharedIdentities } from '../helpers/identities.ts';
import { endWebClients, startWebProcess, type WebProcess } from '../helpers/web-client.ts';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(web: WebProcess, path: string, headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: web.port, path, headers: { Host: `127.0.0.1:${web.port}`, ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens the WebSocket, or says why not (the HTTP status of a refused upgrade). */
function openSocket(web: WebProcess, headers: Record<string, string>, events: Array<{ type: string; code?: string }> = []): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}/ws`, { headers });
    // Listening from the start: the process speaks first (the room to draw).
    ws.on('message', (data) => events.push(JSON.parse(String(data)) as { type: string }));
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

async function cookieFor(web: WebProcess): Promise<string> {
  const traded = await get(web, new URL(web.url).pathname + new URL(web.url).search);
  return String(traded.headers['set-cookie']).split(';')[0]!;
}

describe('web: the local server\'s doors', function () {
  this.timeout(60_000);
  let web: WebProcess;

  beforeEach(async () => {
    const [identity] = await sharedIdentities();
    // A closed port as the server: the session sits in the login room, which is all these need.
    web = await startWebProcess(['--server', '127.0.0.1:9', '--name', 'alice'], { identity: identity! });
  });
  afterEach(endWebClients);

  it('listens on 127.0.0.1 and [::1] only', () => {
    const listening = execFileSync('ss', ['-Hltn', `sport = :${web.port}`], { encoding: 'utf8' }).trim().split('\n').map((line) => line.trim().split(/\s+/)[3]);
    expect(listening.length).to.be.greaterThan(0);
    for (const address of listening) expect(address).to.be.oneOf([`127.0.0.1:${web.port}`, `[::1]:${web.port}`]);
  });

  it('answers 403 and nothing else without the token or the cookie', async () => {
    for (const path of ['/', '/app.js', '/app.css', '/files/1', '/images/1', '/upload', '/?token=wrong']) {
      const answer = await get(web, path);
      expect(answer.status, path).to.equal(403);
      expect(answer.body, path).to.equal('forbidden');
      expect(answer.headers['set-cookie'], path).to.equal(undefined);
    }
    expect(await openSocket(web, { Origin: `http://127.0.0.1:${web.port}` })).to.equal(403);
  });

  it('trades the token for an HttpOnly SameSite=Strict cookie and drops it from the address', async () => {
    const url = new URL(web.url);
    const traded = await get(web, url.pathname + url.search);
    expect(traded.status).to.equal(303);
    expect(traded.headers.location).to.equal('/');
    const cookie = String(traded.headers['set-cookie']);
    expect(cookie).to.match(new RegExp(`^parlor_session_${web.port}=[\\w-]{20,}; HttpOnly; SameSite=Strict; Path=/$`));
    expect(cookie).to.not.contain(url.searchParams.get('token')!);
    const page = await get(web, '/', { Cookie: cookie.split(';')[0]! });
    expect(page.status).to.equal(200);
    expect(page.body).to.contain('<script type="module" src="/app.js">');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).to.contain("default-src 'none'").and.contain("script-src 'self'").and.contain("frame-ancestors 'none'").and.not.contain('unsafe');
    expect(page.headers['x-content-type-options']).to.equal('nosniff');
  });

  it('refuses a Host other than 127.0.0.1, [::1] or localhost with the port (DNS rebinding), cookie or not', async () => {
    const cookie = await cookieFor(web);
    for (const host of [`rebind.example:${web.port}`, '127.0.0.1', `127.0.0.1:${web.port + 1}`, `localhost.evil.example:${web.port}`]) {
      expect((await get(web, '/', { Cookie: cookie, Host: host })).status, host).to.equal(403);
    }
    for (const host of [`localhost:${web.port}`, `[::1]:${web.port}`]) expect((await get(web, '/', { Cookie: cookie, Host: host })).status, host).to.equal(200);
  });

  it('refuses a WebSocket from another origin, even with the cookie', async () => {
    const cookie = await cookieFor(web);
    for (const origin of ['http://evil.example', `http://127.0.0.1:${web.port + 1}`, 'null']) {
      expect(await openSocket(web, { Cookie: cookie, Origin: origin }), origin).to.equal(403);
    }
    expect(await openSocket(web, { Cookie: cookie })).to.equal(403);
    const ws = await openSocket(web, { Cookie: cookie, Origin: `http://127.0.0.1:${web.port}` });
    expect(ws).to.be.instanceOf(WebSocket);
    (ws as WebSocket).close();
  });

  it('answers a WebSocket message that fails its schema with BAD_REQUEST and keeps serving', async () => {
    const cookie = await cookieFor(web);
    const events: Array<{ type: string; code?: string }> = [];
    const ws = (await openSocket(web, { Cookie: cookie, Origin: `http://127.0.0.1:${web.port}` }, events)) as WebSocket;
    for (const bad of ['not json', '{"type":"line"}', '{"type":"login","name":1}', JSON.stringify({ type: 'line', text: 'x'.repeat(70_000) }), '{"type":"__proto__"}']) ws.send(bad);
    while (events.filter((e) => e.type === 'refused').length < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.filter((e) => e.type === 'refused').map((e) => e.code)).to.deep.equal(Array(5).fill('BAD_REQUEST'));
    // The login room was sent on attach, and the process still answers.
    expect(events.some((e) => e.type === 'login')).to.equal(true);
    ws.close();
    expect((await get(web, '/', { Cookie: cookie })).status).to.equal(200);
    expect(web.child.exitCode).to.equal(null);
  });
});
