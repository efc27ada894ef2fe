// The UI-agnostic client: connect (getaddrinfo, IPv4 or IPv6), handshake with trust on first use,
// then requests with ids that resolve to their reply or reject with a coded ParlorError, and
// typed events for everything else the server says. The UI, the CLI, tests and benchmarks all
// come in through here.

import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import type { ClientIdentity } from '../crypto/identity.ts';
import type { PresentedServer } from '../crypto/client-handshake.ts';
import { ParlorError, peerReason } from '../protocol/errors.ts';
import { serverMessage, type ServerMessage, type WelcomeMessage } from '../protocol/messages.ts';
import { clientOptionsSchema, formatAddress, parseOptions, type ClientOptions } from '../options.ts';
import type { DecodedRecord } from '../protocol/records.ts';
import { SecureConnection, type CloseInfo } from '../transport/secure-connection.ts';
import { KnownServers, serverKeyChangedError } from './known-servers.ts';

export type ServerTrust = 'known' | 'new' | 'accepted-new' | 'pinned';

export interface ConnectedServer extends PresentedServer {
  address: string;
  trust: ServerTrust;
  /** For a 'known' key first seen at this address: the address it was known at until now. */
  movedFrom?: string;
  version: string;
}

interface ClientEvents {
  /** Any server message that is not a reply to a request: chat events arrive here. */
  event: [message: Exclude<ServerMessage, { type: 'reply' | 'welcome' }>];
  /** A binary record (file transfer chunks and flow control). */
  record: [record: DecodedRecord];
  close: [info: CloseInfo];
}

interface PendingRequest {
  resolve: (data: unknown) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
  accept: ((data: unknown) => unknown) | undefined;
}

export type ConnectInput = Partial<ClientOptions> &
  Pick<ClientOptions, 'host' | 'port'> & {
    identity: ClientIdentity;
    /** Opens the byte stream instead of a TCP connection to host:port (the SSH front door's in-process bridge). */
    dial?: () => Promise<Socket>;
  };

export class ParlorClient extends EventEmitter<ClientEvents> {
  readonly server: ConnectedServer;
  /** The client's own fingerprint as the server saw it: names are bound to it. */
  fingerprint = '';
  /** A chat spread over several servers: its id and the other servers (from the welcome). */
  chat: WelcomeMessage['chat'];
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private closed: CloseInfo | undefined;
  private readonly welcomed: Promise<void>;
  private onWelcome: ((welcome: WelcomeMessage) => void) | undefined;

  private constructor(
    private readonly connection: SecureConnection,
    server: Omit<ConnectedServer, 'version'>,
    /** How long a request waits for its reply. */
    readonly requestTimeoutMs: number,
    welcomeTimeoutMs: number,
  ) {
    super();
    this.server = { ...server, version: '' };
    // Listening from the moment the channel opens: messages that share the welcome's frame are kept.
    this.welcomed = new Promise((resolve, reject) => {
      const timer = setTimeout(() => connection.close('TIMEOUT', 'no welcome from the server'), welcomeTimeoutMs);
      this.onWelcome = (welcome) => {
        clearTimeout(timer);
        this.server.version = welcome.server.version;
        this.fingerprint = welcome.you.fingerprint;
        this.chat = welcome.chat;
        resolve();
      };
      this.once('close', ({ reason }) => {
        clearTimeout(timer);
        reject(reason);
      });
    });
    this.welcomed.catch(() => {});
    connection.on('message', (message) => this.receive(message));
    connection.on('record', (record) => this.emit('record', record));
    connection.on('close', (info) => this.onClose(info));
    connection.start();
  }

  /**
   * Connects, runs the handshake, checks the server's key (a pinned fingerprint, else
   * known_servers), and waits for the server's welcome.
   */
  static connect(input: ConnectInput): Promise<ParlorClient> {
    const { identity, dial, ...rest } = input;
    return ParlorClient.connectChecked(parseOptions(clientOptionsSchema, rest), { identity, ...(dial !== undefined && { dial }) });
  }

  /**
   * The same with options already checked against clientOptionsSchema: a reconnect checks them
   * once, not on every attempt. `remembered`: this client put the server's key for this address
   * in known_servers already (a reconnect to where it was), so the file is not read again.
   */
  static async connectChecked(options: ClientOptions, how: Pick<ConnectInput, 'identity' | 'dial'> & { remembered?: boolean }): Promise<ParlorClient> {
    const { identity, dial } = how;
    const address = formatAddress(options.host, options.port);
    const knownServers = new KnownServers(options.configDir);
    let trust: ServerTrust = 'new';
    let movedFrom: string | undefined;

    const socket = dial ? await dial() : await openSocket(options.host, options.port, options.connectTimeoutMs);
    const { connection, server } = await SecureConnection.connect(socket, {
      identity,
      handshakeTimeoutMs: options.handshakeTimeoutMs,
      frameCap: options.frameCap,
      address,
      checkServerKey: (presented) => {
        if (options.fingerprint !== undefined) {
          if (presented.fingerprint !== options.fingerprint) {
            throw new ParlorError(
              'FINGERPRINT_MISMATCH',
              `the server at ${address} presented ${presented.fingerprint}, not the expected ${options.fingerprint}; refusing to talk to it`,
            );
          }
          trust = 'pinned';
          return;
        }
        const state = knownServers.check(address, presented.fingerprint);
        if (state.state === 'changed') {
          if (!options.acceptNewKey) throw serverKeyChangedError(state, presented.fingerprint, knownServers.path);
          trust = 'accepted-new';
        } else {
          trust = state.state;
          if (state.state === 'known') movedFrom = state.movedFrom;
        }
      },
    });
    const client = new ParlorClient(connection, { ...server, address, trust, ...(movedFrom !== undefined && { movedFrom }) }, options.requestTimeoutMs, options.handshakeTimeoutMs);
    if (how.remembered !== true) knownServers.remember(address, server.fingerprint, server.name);
    await client.welcomed;
    return client;
  }

  get isOpen(): boolean {
    return this.closed === undefined;
  }

  /** Why the connection closed: requests still waiting for a reply were rejected with this very error. */
  get closeReason(): ParlorError | undefined {
    return this.closed?.reason;
  }

  /**
   * Sends a request and resolves with its reply's data, or rejects with the coded error.
   *
   * `accept` runs on the reply's data the moment it arrives, before anything that came after it
   * in the same read, and the promise resolves with what it returns (or rejects with what it
   * throws). State that a reply sets and later notices change (a room's members, a secret room's
   * keys) must be set there: code awaiting the promise runs only after those notices.
   */
  request(type: string, fields: Record<string, unknown> = {}, accept?: (data: unknown) => unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(this.closed.reason);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new ParlorError('TIMEOUT', `no reply to ${type} within ${this.requestTimeoutMs} ms`));
      }, this.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer, accept });
      this.connection.send({ ...fields, id, type });
    });
  }

  /** Round trip to the server: resolves with the time it took, in milliseconds. */
  async ping(): Promise<number> {
    const started = process.hrtime.bigint();
    await this.request('ping');
    return Number(process.hrtime.bigint() - started) / 1e6;
  }

  /**
   * Queues an encoded binary record (file transfer); `bulk` ones (chunks) yield to everything
   * else. False once the connection has closed.
   */
  sendRecord(record: Buffer | readonly Buffer[], bulk = false): boolean {
    if (this.closed) return false;
    if (bulk) this.connection.sendBulk(record);
    else this.connection.sendRecord(Buffer.isBuffer(record) ? record : Buffer.concat(record));
    return true;
  }

  close(): void {
    this.connection.close('CONNECTION_CLOSED', 'the client closed the connection');
  }

  /** Resolves when the connection has closed, with why. */
  closedPromise(): Promise<CloseInfo> {
    if (this.closed) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.once('close', resolve));
  }

  private receive(raw: unknown): void {
    const parsed = serverMessage.safeParse(raw);
    if (!parsed.success) return; // A newer server's message that this client does not know.
    const message = parsed.data;
    if (message.type === 'welcome') {
      this.onWelcome?.(message);
      this.onWelcome = undefined;
      return;
    }
    if (message.type === 'reply' || (message.type === 'error' && message.re !== undefined)) {
      const pending = this.pending.get(message.re!);
      if (!pending) return;
      this.pending.delete(message.re!);
      clearTimeout(pending.timer);
      if (message.type === 'reply') this.settle(pending, message.data);
      else pending.reject(ParlorError.fromPeer(message.code, message.message, message.retryAfterMs === undefined ? {} : { retryAfterMs: message.retryAfterMs }));
      return;
    }
    this.emit('event', message);
  }

  private settle(pending: PendingRequest, data: unknown): void {
    if (!pending.accept) return pending.resolve(data);
    let accepted: unknown;
    try {
      accepted = pending.accept(data);
    } catch (error) {
      return pending.reject(error);
    }
    pending.resolve(accepted);
  }

  private onClose(info: CloseInfo): void {
    this.closed = info;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(info.reason);
    }
    this.pending.clear();
    this.emit('close', info);
  }
}

function openSocket(host: string, port: number, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // net.connect resolves names through getaddrinfo and tries IPv6 and IPv4 addresses in turn.
    const socket = netConnect({ host, port, autoSelectFamily: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ParlorError('CONNECTION_FAILED', `${formatAddress(host, port)} did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      // The socket's reason, without a stack of ours (peerReason): a client retrying a server
      // that is restarting meets this on most attempts, and a stack costs ~15 µs each.
      reject(peerReason('CONNECTION_FAILED', `cannot reach ${formatAddress(host, port)}: ${error.code ?? error.message}`, { cause: error }));
    });
  });
}
