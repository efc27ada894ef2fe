// The TCP listener: one SecureConnection per socket, the handshake under a deadline, then the
// router. Whatever a client sends, the worst it can cause is its own disconnection.

import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { generateServerIdentity, loadOrCreateServerIdentity, type ServerIdentity } from '../crypto/identity.ts';
import { asParlorError, ParlorError } from '../protocol/errors.ts';
import { formatAddress, parseOptions, serverOptionsSchema, type ServerOptions } from '../options.ts';
import { SecureConnection } from '../transport/secure-connection.ts';
import type { ServerEvent } from './events.ts';
import { routeRequest } from './router.ts';
import { PARLOR_VERSION } from '../version.ts';

export class ParlorServer extends EventEmitter<{ event: [ServerEvent] }> {
  readonly identity: ServerIdentity;
  private readonly listener: Server;
  private readonly connections = new Set<SecureConnection>();
  private readonly sockets = new Set<Socket>();
  private stopping: Promise<void> | undefined;

  private constructor(readonly options: ServerOptions) {
    super();
    if (options.ephemeral) {
      this.identity = generateServerIdentity();
    } else {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      this.identity = loadOrCreateServerIdentity(options.dataDir);
    }
    this.listener = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** Validates the options, loads or makes the identity, listens. Resolves once listening. */
  static async start(input: Partial<ServerOptions> = {}, onEvent?: (event: ServerEvent) => void): Promise<ParlorServer> {
    const server = new ParlorServer(parseOptions(serverOptionsSchema, input));
    if (onEvent) server.on('event', onEvent);
    await server.listen();
    return server;
  }

  get fingerprint(): string {
    return this.identity.fingerprint;
  }

  /** The bound address: the port is the real one when 0 was asked for. */
  get address(): { host: string; port: number } {
    const bound = this.listener.address();
    if (bound === null || typeof bound === 'string') throw new Error('the server is not listening');
    return { host: bound.address, port: bound.port };
  }

  /** Tells every client that the server is stopping, then closes. Safe to call more than once. */
  stop(reason = 'the server is stopping'): Promise<void> {
    this.stopping ??= new Promise((resolve) => {
      this.report({ event: 'stopping', reason });
      this.listener.close(() => {
        this.report({ event: 'stopped' });
        resolve();
      });
      for (const connection of this.connections) connection.close('SERVER_SHUTDOWN', reason);
      // Sockets still in their handshake have no sealed channel to be told on: just end them.
      for (const socket of this.sockets) socket.end();
      setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, 1000).unref();
    });
    return this.stopping;
  }

  private listen(): Promise<void> {
    const attempt = (host: string) =>
      new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        this.listener.once('error', onError);
        this.listener.listen({ host, port: this.options.port, ipv6Only: false }, () => {
          this.listener.off('error', onError);
          resolve();
        });
      });
    const wildcard = this.options.host === '::';
    return attempt(this.options.host)
      .catch((error: NodeJS.ErrnoException) => {
        // A host with IPv6 disabled cannot bind '::'; all IPv4 interfaces is the next best.
        if (wildcard && (error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL')) return attempt('0.0.0.0');
        throw error;
      })
      .then(() => {
        this.listener.on('error', (error) => this.report({ event: 'stopping', reason: error.message }));
        const { host, port } = this.address;
        this.report({
          event: 'listening',
          host,
          port,
          name: this.options.name,
          fingerprint: this.fingerprint,
          ephemeral: this.options.ephemeral,
          dataDir: this.options.ephemeral ? null : this.options.dataDir,
        });
      });
  }

  private accept(socket: Socket): void {
    const remote = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    SecureConnection.accept(socket, {
      identity: this.identity,
      serverName: this.options.name,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      frameCap: this.options.preLoginFrameCap,
    }).then(
      ({ connection, client }) => {
        this.connections.add(connection);
        this.report({ event: 'session', remote, client: client.fingerprint });
        connection.send({
          type: 'welcome',
          server: { name: this.options.name, version: PARLOR_VERSION, fingerprint: this.fingerprint },
          you: { fingerprint: client.fingerprint },
        });
        connection.on('message', (message) => this.handle(connection, message));
        connection.on('close', ({ reason, remote: byClient }) => {
          this.connections.delete(connection);
          this.report({
            event: 'disconnect',
            remote,
            client: client.fingerprint,
            code: reason.code,
            message: reason.message,
            by: byClient ? 'client' : 'server',
          });
        });
        connection.start();
      },
      (error: unknown) => {
        const reason = asParlorError(error, 'BAD_HANDSHAKE');
        this.report({ event: 'handshake_failed', remote, code: reason.code, message: reason.message });
      },
    );
  }

  private handle(connection: SecureConnection, message: unknown): void {
    try {
      const failure = routeRequest(message, {
        reply: (id, data) => connection.send(data === undefined ? { type: 'reply', re: id } : { type: 'reply', re: id, data }),
      });
      if (failure) connection.send({ type: 'error', re: failure.id, ...failure.error.toJSON() });
    } catch (error) {
      // A bug of ours must cost one connection, never the server.
      const reason = error instanceof ParlorError ? error : new ParlorError('INTERNAL', 'the server failed on a request');
      connection.close(reason.code, reason.message);
    }
  }

  private report(event: ServerEvent): void {
    this.emit('event', event);
  }
}
