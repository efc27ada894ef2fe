// `parlor serve --ssh`: the chat for any OpenSSH client. ssh2 does the SSH protocol; this decides
// who gets in. The SSH user name is the chat name; a public key binds it (visitor-identities.ts),
// and no key makes a guest. The join password is asked with keyboard-interactive. A visitor then
// reaches the chat as an ordinary client through an in-memory bridge (bridge-socket.ts), so every
// rule of the chat applies to it unchanged, and the server marks it as not end-to-end.

import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import ssh2 from 'ssh2';
import type { AuthContext, AuthenticationType, Connection, Session as SshChannelSession } from 'ssh2';
import { fingerprintOfBlob } from '../crypto/fingerprint.ts';
import { ChatClient } from '../client/chat-client.ts';
import { asParlorError, ParlorError } from '../protocol/errors.ts';
import type { ParlorServer } from '../server/server.ts';
import { bridgeSocketPair } from './bridge-socket.ts';
import { opensshPrivateKey } from './host-key.ts';
import { serveVisitorSession } from './visitor-session.ts';
import { VisitorIdentities, type VisitorIdentity } from './visitor-identities.ts';

export interface SshFrontDoorOptions {
  host: string;
  port: number;
  /** Where visitors' identities are kept; null for an --ephemeral server. */
  dataDir: string | null;
  /** Authentication requests one connection may make (OpenSSH's MaxAuthTries is 6). */
  maxAuthTries: number;
  /** A connection that has not authenticated by then is closed (OpenSSH's LoginGraceTime). */
  graceMs: number;
  /** Connections from one address that have not authenticated yet: more are closed at once. */
  maxUnauthenticatedPerAddress: number;
}

/** A visitor who passed SSH authentication: logged in to the chat, or with the reason it could not. */
export type VisitorLogin = { chat: ChatClient; identity: VisitorIdentity } | { error: ParlorError };

/** The login's refusals (server/logins.ts): a visitor refused with one of them holds no name. */
const LOGIN_REFUSALS = new Set(['BAD_PASSWORD', 'RATE_LIMITED', 'BANNED', 'NAME_TAKEN', 'NAME_RESERVED', 'NAME_INVALID', 'NAME_CONFUSABLE']);

/** Codes that mean "try the password again": the SSH client asks again, up to its own limit. */
const RETRY_CODES = new Set(['BAD_PASSWORD', 'RATE_LIMITED']);

export class SshFrontDoor {
  private readonly connections = new Set<Connection>();
  private readonly pendingByAddress = new Map<string, number>();

  private constructor(
    private readonly parlor: ParlorServer,
    private readonly options: SshFrontDoorOptions,
    private readonly identities: VisitorIdentities,
    private readonly listener: ssh2.Server,
  ) {}

  static async start(parlor: ParlorServer, options: SshFrontDoorOptions): Promise<SshFrontDoor> {
    const identities = new VisitorIdentities(options.dataDir);
    await identities.loadKnown();
    const listener = new ssh2.Server({
      hostKeys: [opensshPrivateKey(parlor.identity)],
      ident: 'parlor',
      // Without a banner the only thing a visitor sees before the prompt is OpenSSH's own text.
      banner: `parlor: ${parlor.options.name} (${parlor.fingerprint})\r\n`,
    });
    const door = new SshFrontDoor(parlor, options, identities, listener);
    listener.on('connection', (connection, info) => door.accept(connection, info.ip, info.port));
    // A client's protocol error must not reach the process: ssh2 reports it on the connection.
    listener.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(options.port, options.host, () => {
        listener.off('error', reject);
        resolve();
      });
    });
    return door;
  }

  /** What the status bar calls this server: its listening address, or the host name for a wildcard. */
  private get displayHost(): string {
    return this.options.host === '::' || this.options.host === '0.0.0.0' ? hostname() : this.options.host;
  }

  get port(): number {
    return (this.listener.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.end();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
    this.identities.close();
  }

  private accept(connection: Connection, address: string, port: number): void {
    // Errors from a peer's garbage end its connection, nothing else.
    connection.on('error', () => {});
    const pending = this.pendingByAddress.get(address) ?? 0;
    if (pending >= this.options.maxUnauthenticatedPerAddress) {
      connection.end();
      return;
    }
    this.pendingByAddress.set(address, pending + 1);
    this.connections.add(connection);
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      const left = (this.pendingByAddress.get(address) ?? 1) - 1;
      if (left > 0) this.pendingByAddress.set(address, left);
      else this.pendingByAddress.delete(address);
    };
    const grace = setTimeout(() => connection.end(), this.options.graceMs);
    grace.unref();

    let keyBlob: Buffer | undefined;
    let attempts = 0;
    let login: VisitorLogin | undefined;
    connection.on('authentication', (context: AuthContext) => {
      attempts++;
      if (attempts > this.options.maxAuthTries) {
        context.reject([]);
        connection.end();
        return;
      }
      const methods: AuthenticationType[] = keyBlob ? ['keyboard-interactive'] : ['publickey', 'keyboard-interactive'];
      if (context.method === 'publickey') {
        const key = ssh2.utils.parseKey(context.key.data);
        if (key instanceof Error) return context.reject(methods);
        // Without a signature the client only asks whether this key would do: it would.
        if (!context.signature || !context.blob) return context.accept();
        if (key.verify(context.blob, context.signature, context.hashAlgo) !== true) return context.reject(methods);
        keyBlob = context.key.data;
        // Half way: the key names the visitor; the join password still has to come.
        return context.reject(['keyboard-interactive'], true);
      }
      if (context.method !== 'keyboard-interactive') return context.reject(methods);
      const who = keyBlob ? `as ${context.username}, with the key ${fingerprintOfBlob(keyBlob)}` : `as the guest ${context.username} (no SSH key offered: the name is yours only while you are here)`;
      context.prompt([{ prompt: 'parlor join password: ', echo: false }], 'parlor', `Logging in ${who}.`, (answers) => {
        if (!Array.isArray(answers)) return;
        void this.login(context.username, answers[0] ?? '', keyBlob, address, port).then((outcome) => {
          if ('error' in outcome && RETRY_CODES.has(outcome.error.code)) {
            context.reject(['keyboard-interactive']);
            return;
          }
          // Other refusals (NAME_TAKEN, BANNED, ...) are said on the session, in words.
          login = outcome;
          context.accept();
        });
      });
    });
    connection.on('ready', () => {
      clearTimeout(grace);
      uncount();
      connection.on('session', (accept) => {
        const session: SshChannelSession = accept();
        if (login) serveVisitorSession(session, login, { host: this.displayHost, port: this.port });
      });
    });
    connection.on('close', () => {
      clearTimeout(grace);
      uncount();
      this.connections.delete(connection);
      if (login && 'chat' in login) {
        login.chat.close();
        login.identity.release();
      }
    });
  }

  /** Logs the visitor in to the chat through the bridge, as its own client. */
  private async login(name: string, password: string, keyBlob: Buffer | undefined, address: string, port: number): Promise<VisitorLogin> {
    let visitor: VisitorIdentity | undefined;
    try {
      // The password first: making an identity costs an RSA key generation (~0.3 s of CPU) and, for
      // a key, a directory on disk, which nobody may have for a wrong password.
      const asked = keyBlob ? `ssh key ${fingerprintOfBlob(keyBlob)}` : 'ssh guest';
      if (!(await this.parlor.chat.logins.checkJoinPassword({ address, identity: asked }, password))) {
        return { error: new ParlorError('BAD_PASSWORD', 'the join password is wrong') };
      }
      visitor = keyBlob ? await this.identities.forKey(keyBlob) : await this.identities.guest();
      const guest = keyBlob === undefined;
      const chat = await ChatClient.connect({
        host: '127.0.0.1',
        port: this.parlor.address.port,
        identity: visitor.identity,
        configDir: visitor.configDir,
        fingerprint: this.parlor.fingerprint,
        name,
        password,
        // The bridge lives in this process: if it drops, the server is going away.
        reconnect: false,
        endToEnd: false,
        dial: async () => {
          const pair = bridgeSocketPair({ address, port });
          this.parlor.acceptBridged(pair.server, { guest });
          return pair.client;
        },
      });
      return { chat, identity: visitor };
    } catch (error) {
      const refusal = asParlorError(error, 'INTERNAL');
      // Refused at the login, the identity holds no name: a new one made for it goes. After any
      // other failure the server may have bound the name to it, so it stays (else the key's owner
      // would find the name held by an identity nobody has).
      if (LOGIN_REFUSALS.has(refusal.code)) visitor?.discard();
      else visitor?.release();
      return { error: refusal };
    }
  }
}
