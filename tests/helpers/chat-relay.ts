// A TCP relay on 127.0.0.1 that forwards to a server port and hands the server's bytes to the
// client in bursts: what arrives within `batchMs` is written in one piece. That is what a busy
// client or a bursty network does (several frames in one read), made reliable, so that tests can
// check that a client handles frames that arrive together. Client-to-server bytes pass straight on.

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Relay {
  port: number;
  /** Connections the relay has accepted so far. */
  accepted: number;
  close(): Promise<void>;
}

export async function startBurstRelay(targetPort: number, batchMs = 25): Promise<Relay> {
  const open = new Set<Socket>();
  const relay: Relay = { port: 0, accepted: 0, close: () => Promise.resolve() };

  const server: Server = createServer((client) => {
    relay.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    open.add(upstream);
    let held: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      if (held.length === 0 || client.destroyed) return;
      const burst = Buffer.concat(held);
      held = [];
      client.write(burst);
    };
    upstream.on('data', (chunk: Buffer) => {
      held.push(chunk);
      timer ??= setTimeout(flush, batchMs);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    upstream.on('end', () => {
      clearTimeout(timer);
      flush();
      client.end();
    });
    client.on('end', () => upstream.end());
    const destroyBoth = () => {
      clearTimeout(timer);
      // What the server sent before it went away still reaches the client, then the close.
      flush();
      client.end();
      upstream.destroy();
      setTimeout(() => client.destroy(), 1000).unref();
    };
    upstream.on('error', destroyBoth);
    upstream.on('close', destroyBoth);
    client.on('error', () => upstream.destroy());
    client.on('close', () => {
      clearTimeout(timer);
      upstream.destroy();
      open.delete(client);
    });
    upstream.once('close', () => open.delete(upstream));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay is not listening');
  relay.port = address.port;
  relay.close = () =>
    new Promise<void>((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
  return relay;
}

export interface CuttingRelay extends Relay {
  /**
   * The next bytes the client sends still reach the server, but the first bytes the server sends
   * after them (the reply) do not: the relay drops them and cuts that connection, both ways.
   */
  cutBeforeNextReply(): void;
}

/** A plain TCP relay to a server port that can cut a connection between a request and its reply. */
export async function startCuttingRelay(targetPort: number): Promise<CuttingRelay> {
  const open = new Set<Socket>();
  let armed = false;
  const server: Server = createServer((client) => {
    relay.accepted++;
    const upstream = connect({ host: '127.0.0.1', port: targetPort });
    open.add(client);
    open.add(upstream);
    let requestPassed = false;
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (armed) requestPassed = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (armed && requestPassed) {
        armed = false;
        cut();
        return;
      }
      client.write(chunk);
    });
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('close', () => {
      upstream.destroy();
      open.delete(client);
    });
    upstream.on('close', () => {
      client.destroy();
      open.delete(upstream);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the relay is not listening');
  const relay: CuttingRelay = {
    port: address.port,
    accepted: 0,
    cutBeforeNextReply: () => {
      armed = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return relay;
}
