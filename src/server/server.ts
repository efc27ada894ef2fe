// The TCP listener: one SecureConnection per socket, the handshake under a deadline, then a
// Session that the router drives. Whatever a client sends, the worst it can cause is its own
// disconnection.

import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { generateServerIdentity, loadOrCreateServerIdentity, type ServerIdentity } from '../crypto/identity.ts';
import { asParlorError, ParlorError } from '../protocol/errors.ts';
import { addressBudget, formatAddress, parseOptions, serverOptionsSchema, type ServerOptions } from '../options.ts';
import { openStore } from '../store/open-store.ts';
import type { ChatStore } from '../store/store.ts';
import { redactDatabaseUrl } from '../store/database-url.ts';
import { SecureConnection } from '../transport/secure-connection.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import { PARLOR_VERSION } from '../version.ts';
import { ChatService } from './chat.ts';
import type { ServerEvent } from './events.ts';
import { generatePassword } from './passwords.ts';
import { Admission, type ReleasePlace } from './admission.ts';
import { ServerAdvertising } from './advertising.ts';
import { createBot, type LoadedCommands } from '../commands/builtins.ts';
import { Bot } from './bot.ts';
import { RateBudgets } from './rate-budget.ts';
import { Router } from './router.ts';
import { LoadGauge } from './load-gauge.ts';
import { OutboundBudget } from './outbound-budget.ts';
import { Session } from './session.ts';
import type { SshFrontDoor } from '../ssh/front-door.ts';
import { TransferService } from './transfers.ts';

export type ServerInput = Partial<ServerOptions>;

export class ParlorServer extends EventEmitter<{ event: [ServerEvent] }> {
  readonly identity: ServerIdentity;
  readonly password: string;
  readonly operatorPassword: string;
  readonly chat: ChatService;
  readonly transfers: TransferService;
  private readonly router: Router;
  private readonly listener: Server;
  private readonly sessions = new Set<Session>();
  private readonly sockets = new Set<Socket>();
  /** Places for connections that have not logged in yet (handshake included). */
  private readonly admission: Admission;
  /** Bytes waiting for every reader together (outbound-budget.ts). */
  private readonly outbound: OutboundBudget;
  private readonly operatorPasswordGenerated: boolean;
  /** The discovery beacon and the mDNS advert (advertising.ts). */
  private readonly advertising: ServerAdvertising;
  private sshDoor: SshFrontDoor | undefined;
  private stopping: Promise<void> | undefined;
  /** Widens the fan-out coalescing window while the event loop is busy (load-gauge.ts). */
  private readonly load = new LoadGauge();
  private readonly coalesceMs = (): number => this.options.fanoutCoalesceMs * this.load.factor;

  private constructor(
    readonly options: ServerOptions,
    private readonly bot: LoadedCommands,
    private readonly startWarnings: string[],
    private readonly store: ChatStore,
  ) {
    super();
    if (options.ephemeral) {
      this.identity = generateServerIdentity();
    } else {
      mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
      this.identity = loadOrCreateServerIdentity(options.dataDir);
    }
    this.password = options.password ?? generatePassword();
    this.operatorPasswordGenerated = options.operatorPassword === undefined;
    this.operatorPassword = options.operatorPassword ?? generatePassword();
    this.admission = new Admission(options, (socket) => {
      this.report({ event: 'refused', remote: formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0), code: 'TOO_MANY_CONNECTIONS' });
    });
    this.outbound = new OutboundBudget(this.sessions, options.maxTotalOutboundBytes);
    this.chat = new ChatService(this.store, {
      joinPassword: this.password,
      operatorPassword: this.operatorPassword,
      nameReservationMs: options.nameReservationMs,
      guessLimits: { freeTries: options.passwordFreeTries, addressBurst: options.passwordGuessBurst, addressPerMinute: options.passwordGuessesPerMinute },
      historyLimit: options.historyLimit,
      // A join reply must fit the reader's outbound cap with room to spare for what else is queued.
      historyPageBytes: Math.min(options.historyPageBytes, Math.floor(options.maxOutboundBytes / 2)),
      maxMessageBytes: options.maxMessageBytes,
      maxSessionsPerIdentity: options.maxSessionsPerIdentity,
      rooms: options,
      serverName: options.name,
      presenceCoalesceMs: options.presenceCoalesceMs,
    }, (event) => this.report(event));
    this.transfers = new TransferService(this.chat, {
      maxTransferBytes: options.maxTransferBytes,
      maxTransfersPerUser: options.maxTransfersPerUser,
      windowBytes: options.transferWindowBytes,
      answerMs: options.transferAnswerMs,
      stallMs: options.transferStallMs,
      frameCap: options.frameCap,
    });
    this.router = new Router(
      this.chat,
      new Bot(bot.registry, this.chat, (reason) => void this.stop(reason)),
      new RateBudgets({
        perSecond: options.ratePerSecond,
        burst: options.rateBurst,
        addressPerSecond: addressBudget(options).perSecond,
        addressBurst: addressBudget(options).burst,
        strikes: options.floodStrikes,
        windowMs: options.floodWindowMs,
      }),
      (session) => this.onLogin(session),
      (session, error) => this.report({ event: 'error', remote: session.remote, message: error instanceof Error ? error.stack ?? error.message : String(error) }),
      this.transfers,
    );
    this.listener = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.advertising = new ServerAdvertising({
      options,
      fingerprint: this.identity.fingerprint,
      password: this.password,
      port: () => this.address.port,
      users: () => this.chat.onlineCount,
      sshPort: () => this.sshDoor?.port,
      cluster: () => this.store.cluster,
    }, (event) => this.report(event));
  }

  /** Validates the options, loads or makes the identity, opens the store, listens. */
  static async start(input: ServerInput = {}, onEvent?: (event: ServerEvent) => void): Promise<ParlorServer> {
    const options = parseOptions(serverOptionsSchema, input);
    // Plugins load before anything listens: a server never answers with half its commands.
    const warnings: string[] = [];
    const bot = await createBot({
      ...(options.catsDir !== undefined && { catsDir: options.catsDir }),
      wikipediaUrl: options.wikipediaUrl,
      ...(options.pluginsDir !== undefined && { pluginsDir: options.pluginsDir }),
      disabledCommands: options.disabledCommands,
      shell: options.shell ? options.shellEngine : false,
      onWarning: (message) => warnings.push(message),
    });
    let server: ParlorServer;
    let store: ChatStore | undefined;
    try {
      store = await openStore(options);
      server = new ParlorServer(options, bot, warnings, store);
    } catch (error) {
      await store?.close();
      await bot.close();
      throw error;
    }
    if (onEvent) server.on('event', onEvent);
    try {
      // The beacon comes second: an advert names the TCP port, which exists only once listening.
      await server.listen();
      // Among the chat's other servers once this one listens (they hand its address to clients).
      await server.store.cluster?.start(options.name, server.reachableAt());
      const chatName = server.store.cluster?.chatName;
      if (chatName !== undefined && chatName !== options.name) {
        server.startWarnings.push(`this chat is called "${chatName}" (its database says so, since its first server): this server advertises that name, and is "${options.name}" among the chat's servers`);
      }
      server.load.start();
      await server.startSsh();
      server.outbound.start();
      await server.advertising.start();
      server.reportListening();
      for (const { source, problem } of server.bot.problems) server.report({ event: 'plugin_skipped', source, problem });
      for (const message of server.startWarnings) server.report({ event: 'warning', message });
    } catch (error) {
      server.load.stop();
      await server.sshDoor?.close();
      server.outbound.stop();
      await server.advertising.stop();
      await server.bot.close();
      await server.store.close();
      throw error;
    }
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

  /** The UDP port that answers discovery probes (the real one when 0 was asked for), or null when discovery is off or unavailable. */
  get discoveryPort(): number | null {
    return this.advertising.discoveryPort;
  }

  /** HOST:PORT for the chat's other servers to give clients; unknown when listening on every interface, unless --advertise-address says. */
  private reachableAt(): string | null {
    const { host, port } = this.address;
    if (this.options.advertiseAddress !== undefined) return formatAddress(this.options.advertiseAddress, port);
    return host === '::' || host === '0.0.0.0' ? null : formatAddress(host, port);
  }

  /** Tells every client that the server is stopping, commits what was accepted, closes. */
  stop(reason = 'the server is stopping'): Promise<void> {
    this.stopping ??= new Promise((resolve) => {
      this.report({ event: 'stopping', reason });
      // The chat's other servers tell their people (a shared store's chat goes on without this one).
      this.store.cluster?.publish({ kind: 'server_stopping', server: this.options.name, reason });
      this.load.stop();
      this.outbound.stop();
      this.admission.close();
      // Withdrawn (goodbye packets) while clients are told; both finish before the process ends.
      const withdrawn = Promise.all([this.advertising.stop(), this.bot.close(), this.sshDoor?.close()]);
      // Everything accepted is committed (a shared store answers later) before the store closes.
      const drained = this.chat.drain();
      this.listener.close(() => {
        void Promise.all([withdrawn, drained.then(() => this.store.close())]).then(() => {
          this.report({ event: 'stopped' });
          resolve();
        });
      });
      // Nobody is told that the others, let go one by one, have left (room-directory.ts).
      this.chat.shutDown();
      for (const session of this.sessions) session.connection.close('SERVER_SHUTDOWN', reason);
      // Sockets still in their handshake have no sealed channel to be told on: just end them.
      for (const socket of this.sockets) socket.end();
      setTimeout(() => {
        for (const socket of this.sockets) socket.destroy();
      }, 1000).unref();
    });
    return this.stopping;
  }

  /** Loaded only with --ssh: ssh2 and the terminal UI stay out of every other server. */
  private async startSsh(): Promise<void> {
    if (!this.options.ssh) return;
    const { SshFrontDoor } = await import('../ssh/front-door.ts');
    this.sshDoor = await SshFrontDoor.start(this, {
      host: this.options.host === '::' ? '::' : this.options.host,
      port: this.options.sshPort,
      dataDir: this.options.ephemeral ? null : this.options.dataDir,
      maxAuthTries: this.options.sshMaxAuthTries,
      graceMs: this.options.sshGraceMs,
      maxUnauthenticatedPerAddress: this.options.maxUnauthenticatedPerAddress,
    });
  }

  private listen(): Promise<void> {
    const attempt = (host: string) =>
      new Promise<void>((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        this.listener.once('error', onError);
        this.listener.listen({ host, port: this.options.port, ipv6Only: false, backlog: this.options.listenBacklog }, () => {
          this.listener.off('error', onError);
          resolve();
        });
      });
    const wildcard = this.options.host === '::';
    return attempt(this.options.host)
      .catch((error: NodeJS.ErrnoException) => {
        // A host with IPv6 disabled cannot bind '::'; all IPv4 interfaces is the next best.
        if (wildcard && (error.code === 'EAFNOSUPPORT' || error.code === 'EADDRNOTAVAIL')) return attempt('0.0.0.0');
        if (error.code === 'EADDRINUSE') throw addressInUse(this.options.host, this.options.port, error);
        throw error;
      })
      .then(() => {
        this.listener.on('error', (error) => this.report({ event: 'stopping', reason: error.message }));
      });
  }

  private reportListening(): void {
    const { host, port } = this.address;
    this.report({
      event: 'listening',
      host,
      port,
      name: this.options.name,
      fingerprint: this.fingerprint,
      password: this.password,
      ...(this.operatorPasswordGenerated && { operatorPassword: this.operatorPassword }),
      ephemeral: this.options.ephemeral,
      dataDir: this.options.ephemeral || this.options.database !== undefined ? null : this.options.dataDir,
      ...(this.options.database !== undefined && { database: redactDatabaseUrl(this.options.database) }),
      ...(this.store.cluster && { chat: { id: this.store.cluster.chatId, name: this.store.cluster.chatName } }),
      discoveryPort: this.advertising.discoveryPort,
      mdns: this.advertising.mdnsPublished,
      sshPort: this.sshDoor?.port ?? null,
    });
  }

  /**
   * A visitor of the SSH front door, through an in-memory stream (src/ssh/bridge-socket.ts): the
   * same handshake and session as any client, marked as not end-to-end.
   */
  acceptBridged(socket: Socket, visitor: { guest: boolean }): void {
    this.accept(socket, { via: 'ssh', ...visitor });
  }

  private accept(socket: Socket, bridged?: { via: 'ssh'; guest: boolean }): void {
    const address = socket.remoteAddress ?? '?';
    const remote = formatAddress(address, socket.remotePort ?? 0);
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.admission.admit(socket, address, (release) => this.handshake(socket, address, remote, release, bridged));
  }

  /** Admitted at the door (admission.ts): the handshake, then a session. */
  private handshake(socket: Socket, address: string, remote: string, uncount: ReleasePlace, bridged?: { via: 'ssh'; guest: boolean }): void {
    if (this.stopping || socket.destroyed) {
      uncount();
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      uncount();
    });
    SecureConnection.accept(socket, {
      identity: this.identity,
      serverName: this.options.name,
      handshakeTimeoutMs: this.options.handshakeTimeoutMs,
      frameCap: this.options.preLoginFrameCap,
    }).then(
      ({ connection, client }) => {
        connection.coalesceMs = this.coalesceMs;
        connection.maxRecordsPerFrame = this.options.maxRecordsPerFrame;
        const session = new Session(connection, client, address, remote, this.options, uncount);
        if (bridged) {
          session.via = bridged.via;
          session.guest = bridged.guest;
        }
        // A handshake proves a key, not a right to stay: a connection that does not log in soon
        // gives its place back (idle ones held an address's places for good).
        const loginDeadline = setTimeout(() => {
          if (!session.user) connection.close('LOGIN_TIMEOUT', `no login within ${this.options.loginTimeoutMs} ms of the handshake`);
        }, this.options.loginTimeoutMs);
        loginDeadline.unref();
        session.loginDeadline = loginDeadline;
        this.sessions.add(session);
        this.report({ event: 'session', remote, client: client.fingerprint });
        connection.sendRecordNow(this.welcome(client.fingerprint));
        connection.on('message', (message) => this.router.handle(session, message));
        // File transfer: chunk and window records (a throw closes the connection with BAD_MESSAGE).
        connection.on('record', (record) => this.transfers.onRecord(session, record));
        connection.on('close', ({ reason, remote: byClient }) => {
          clearTimeout(loginDeadline);
          this.transfers.drop(session);
          const name = session.user?.name ?? null;
          this.chat.logins.logout(session);
          this.sessions.delete(session);
          this.report({ event: 'disconnect', remote, client: client.fingerprint, name, code: reason.code, message: reason.message, by: byClient ? 'client' : 'server' });
        });
        connection.start();
      },
      (error: unknown) => {
        const reason = asParlorError(error, 'BAD_HANDSHAKE');
        this.report({ event: 'handshake_failed', remote, code: reason.code, message: reason.message });
      },
    );
  }

  /** The first message of every session. */
  private welcome(clientFingerprint: string): Buffer {
    const cluster = this.store.cluster;
    return encodeJsonRecord({
      type: 'welcome',
      server: { name: this.options.name, version: PARLOR_VERSION, fingerprint: this.fingerprint },
      you: { fingerprint: clientFingerprint },
      ...(cluster && { chat: { id: cluster.chatId, name: cluster.chatName, servers: cluster.otherServers() } }),
    });
  }

  private onLogin(session: Session): void {
    clearTimeout(session.loginDeadline);
    session.releaseUnauthenticatedSlot();
    session.connection.setFrameCap(this.options.frameCap);
    this.report({ event: 'login', remote: session.remote, client: session.client.fingerprint, name: session.requireUser().name });
  }

  private report(event: ServerEvent): void {
    this.emit('event', event);
  }
}

/** A taken port, said so that the user knows what to do (the usual cause: parlor already runs). */
function addressInUse(host: string, port: number, cause: Error): ParlorError {
  return new ParlorError(
    'ADDRESS_IN_USE',
    `port ${port} on ${host} (${formatAddress(host, port)}) is already in use: another parlor (or another program) is listening there. Stop it, or pick another port with --port N (--port 0 takes any free one)`,
    { cause },
  );
}
