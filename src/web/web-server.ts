// `parlor web`'s HTTP and WebSocket server, on 127.0.0.1 and [::1] only. Every request passes
// http-guard.ts first (Host, then cookie or token; a WebSocket upgrade and an upload also need
// our own Origin). The page is three static files; the chat goes over one WebSocket as JSON
// (wire.ts), each request parsed with zod before the session sees it. Received files and the
// bot's pictures are served by number with headers that keep the browser from running them.

import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { safeFileName } from '../client/transfers/safe-file-name.ts';
import { admission, commonHeaders, hostAllowed, originAllowed, sessionCookie, type GuardKeys } from './http-guard.ts';
import { PAGE_FILES } from './page-bundle.ts';
import { servedFile, servedImage } from './served-files.ts';
import type { WebSession } from './web-session.ts';
import { pageRequestSchema, type WebEvent } from './wire.ts';

/** A WebSocket message from the page is small JSON; a larger one is refused before parsing. */
const MAX_WS_MESSAGE = 256 * 1024;

export interface WebServer {
  port: number;
  /** The URL to open, with the token: printed once at start. */
  url: string;
  close(): Promise<void>;
}

export async function startWebServer(session: WebSession, pageDir: string, port = 0): Promise<WebServer> {
  const keys: GuardKeys = { port: 0, token: randomBytes(24).toString('base64url'), cookie: randomBytes(24).toString('base64url') };
  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });
  const handler = (request: IncomingMessage, response: ServerResponse) => void answer(request, response, session, pageDir, keys).catch(() => refuse(response, 500, 'internal error'));
  const servers: Server[] = [];
  const listen = (host: string, wanted: number) => new Promise<Server>((resolve, reject) => {
    const server = createServer(handler);
    server.on('upgrade', (request, socket, head) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (url.pathname !== '/ws' || admission(request.headers, url, keys) === 'refused' || !originAllowed(request.headers, keys.port)) {
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      sockets.handleUpgrade(request, socket, head, (ws) => attachTab(ws, session));
    });
    server.once('error', reject);
    server.listen(wanted, host, () => resolve(server));
  });
  const first = await listen('127.0.0.1', port);
  servers.push(first);
  keys.port = (first.address() as AddressInfo).port;
  // [::1] as well when this machine has IPv6 loopback; without it, 127.0.0.1 alone serves.
  await listen('::1', keys.port).then((server) => servers.push(server), () => {});
  return {
    port: keys.port,
    url: `http://127.0.0.1:${keys.port}/?token=${keys.token}`,
    close: async () => {
      for (const ws of sockets.clients) ws.terminate();
      await Promise.all(servers.map((server) => new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      })));
    },
  };
}

function attachTab(ws: WebSocket, session: WebSession): void {
  const send = (event: WebEvent) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(event));
  };
  const detach = session.attach(send);
  ws.on('close', detach);
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      parsed = undefined;
    }
    const request = pageRequestSchema.safeParse(parsed);
    if (!request.success) return send({ type: 'refused', code: 'BAD_REQUEST', message: 'the page sent a message this version does not know' });
    session.handle(request.data, send).catch((error: Error) => send({ type: 'refused', code: 'INTERNAL', message: error.message }));
  });
}

async function answer(request: IncomingMessage, response: ServerResponse, session: WebSession, pageDir: string, keys: GuardKeys): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const admitted = admission(request.headers, url, keys);
  if (admitted === 'refused') return refuse(response, 403, 'forbidden');
  const headers = commonHeaders(request.headers.host!);
  if (admitted === 'token') {
    // The token is traded for the cookie, and the address bar loses it: 303 to the same page.
    response.writeHead(303, { ...headers, 'Set-Cookie': sessionCookie(keys), Location: '/' });
    return void response.end();
  }
  const page = PAGE_FILES[url.pathname];
  if (request.method === 'GET' && page) {
    response.writeHead(200, { ...headers, 'Content-Type': page.type });
    return void response.end(await readFile(join(pageDir, page.file)));
  }
  const numbered = /^\/(files|images)\/(\d{1,9})$/.exec(url.pathname);
  if (request.method === 'GET' && numbered && session.chat) {
    const kind = numbered[1] === 'files' ? 'file' : 'image';
    const found = session.chat.transfers.lookup(kind, Number(numbered[2]));
    if (!found) return refuse(response, 404, 'not found');
    return kind === 'file' ? servedFile(response, headers, found) : servedImage(response, headers, found.path);
  }
  if (request.method === 'POST' && url.pathname === '/upload' && session.chat) {
    if (!originAllowed(request.headers, keys.port) || !hostAllowed(request.headers, keys.port)) return refuse(response, 403, 'forbidden');
    return upload(request, response, session, url);
  }
  refuse(response, 404, 'not found');
}

/**
 * A file dropped or pasted in the page: the body is saved in a fresh private dir under a safe
 * version of its name, then sent as /file or /groupfile would send it.
 */
async function upload(request: IncomingMessage, response: ServerResponse, session: WebSession, url: URL): Promise<void> {
  const to = url.searchParams.get('to');
  const room = url.searchParams.get('room');
  const name = safeFileName(basename(url.searchParams.get('name') ?? 'file'));
  if ((to === null) === (room === null)) return refuse(response, 400, 'to or room');
  const root = join(session.options.dataDir, 'web-uploads');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const path = join(await mkdtemp(join(root, 'u-')), name);
  await pipeline(request, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  response.writeHead(204).end();
  await session.chat!.transfers.sendPath(to !== null ? { to } : { room: room! }, path).catch((error: Error & { code?: string }) => session.chat?.notice(`${error.code ?? 'FILE_UNREADABLE'}: ${error.message}`, 'error'));
}

function refuse(response: ServerResponse, status: number, text: string): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' });
  response.end(text);
}
