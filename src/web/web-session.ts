// The user's one parlor session behind `parlor web`, as the terminal UI's three rooms: the waiting
// room (discoverServers, KnownServers), the login room (ChatClient.connect, a changed key held
// until "yes"), then the chat room (web-chat.ts). It lives in the local process, not in the page:
// tabs come and go (each one is told the whole state when it attaches), and the chat stays
// connected while none is open, like a bouncer.

import { userInfo } from 'node:os';
import { ChatClient } from '../client/chat-client.ts';
import { describeTrustState, KnownServers, serverKeyChangedError } from '../client/known-servers.ts';
import type { ClientIdentity } from '../crypto/identity.ts';
import { DEFAULT_DISCOVERY_PORT } from '../discovery/datagrams.ts';
import { discoverServers, type ProbeTarget } from '../discovery/discover.ts';
import { DiscoveredChats } from '../shared/discovered-chats.ts';
import { noServerHints } from '../discovery/hints.ts';
import { formatAddress, parseServerAddress } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { defaultChatName } from '../shared/default-name.ts';
import { rememberName, saveSettings, type UiSettings } from '../shared/settings.ts';
import { isThemeName } from '../shared/themes.ts';
import type { ChatUiOptions, LoginTarget } from '../shared/chat-options.ts';
import { startHostedServer } from '../shared/host-server.ts';
import { WebChat } from './web-chat.ts';
import type { PageRequest, WebEvent } from './wire.ts';

/** `parlor web` takes what both UIs share, nothing of its own. */
export type WebOptions = ChatUiOptions;

type Login = Extract<WebEvent, { type: 'login' }>;

export class WebSession {
  private readonly tabs = new Set<(event: WebEvent) => void>();
  /** One row per chat (the servers of one chat are one row, with their addresses), as the terminal UI lists them. */
  private readonly found = new DiscoveredChats();
  private readonly servers = this.found.chats;
  private waiting: Extract<WebEvent, { type: 'waiting' }> = { type: 'waiting', searching: false, servers: [], hints: [], message: '' };
  private login: Login | undefined;
  private target: LoginTarget | undefined;
  private generation = 0;
  private busy = false;
  chat: WebChat | undefined;

  constructor(
    readonly options: WebOptions,
    /** Loaded (or made: RSA keygen takes a while) while the page opens; needed at login. */
    readonly identity: Promise<ClientIdentity>,
    readonly settings: UiSettings,
  ) {}

  /** Starts in the login room with --server, else in the waiting room. */
  start(): void {
    if (this.options.server !== undefined) this.toLogin(parseServerAddress(this.options.server));
    else void this.search();
  }

  /** A tab opened: it gets everything it needs to draw the current room. */
  attach(send: (event: WebEvent) => void): () => void {
    this.tabs.add(send);
    send({ type: 'settings', theme: this.settings.theme, bell: this.settings.bell });
    if (this.chat) this.chat.replay(send);
    else send(this.login ?? this.waiting);
    return () => this.tabs.delete(send);
  }

  tabCount(): number {
    return this.tabs.size;
  }

  broadcast(event: WebEvent): void {
    for (const send of this.tabs) send(event);
  }

  saveSettings(): void {
    try {
      saveSettings(this.options.configDir, this.settings);
    } catch {
      // A read-only config dir loses the setting, not the session.
    }
    this.broadcast({ type: 'settings', theme: this.settings.theme, bell: this.settings.bell });
  }

  async handle(request: PageRequest, reply: (event: WebEvent) => void): Promise<void> {
    // The theme menu works in every room; /theme in the chat says so in the conversation too.
    if (request.type === 'theme') {
      if (isThemeName(request.name)) this.settings.theme = request.name;
      return this.saveSettings();
    }
    if (this.chat) return this.chat.handle(request, reply);
    switch (request.type) {
      case 'discover':
        return this.search();
      case 'host':
        return this.host();
      case 'pick': {
        const server = this.servers[request.index];
        if (server) this.toLogin({ host: server.host, port: server.port, fingerprint: server.fingerprint, serverName: server.name, ...(server.password !== undefined && { password: server.password }) });
        return;
      }
      case 'address':
        try {
          this.toLogin(parseServerAddress(request.address.trim()));
        } catch (error) {
          this.waiting.message = (error as Error).message;
          this.broadcast(this.waiting);
        }
        return;
      case 'back':
        this.login = undefined;
        this.target?.hosted?.stop();
        return this.search();
      case 'login':
        return this.attempt(request);
      default:
        return;
    }
  }

  /** Ctrl-C: transfers cancelled, the connection closed, a hosted server stopped. */
  async close(): Promise<void> {
    this.generation++;
    await this.chat?.end();
    this.target?.hosted?.stop();
  }

  private async search(): Promise<void> {
    const mine = ++this.generation;
    this.found.clear();
    const known = new KnownServers(this.options.configDir);
    this.waiting = { type: 'waiting', searching: true, servers: [], hints: [], message: '' };
    this.broadcast(this.waiting);
    const targets: ProbeTarget[] = [];
    try {
      for await (const server of discoverServers(this.options.discovery, targets)) {
        if (mine !== this.generation) return;
        // A later, richer answer (the users online, after mDNS answered first), or another server
        // of the same chat, updates its row.
        const { row, chat } = this.found.add(server);
        const address = formatAddress(chat.host, chat.port);
        const others = chat.addresses.slice(1).map((a) => a.address);
        this.waiting.servers[row] = {
          name: chat.name,
          address,
          ...(others.length > 0 && { otherAddresses: others }),
          fingerprint: chat.fingerprint,
          trust: known.check(address, chat.fingerprint).state,
          ...(chat.users !== undefined && { users: chat.users }),
          ...(chat.sshPort !== undefined && { sshPort: chat.sshPort }),
        };
        this.broadcast(this.waiting);
      }
    } catch (error) {
      this.waiting.message = `discovery failed: ${(error as Error).message}`;
    }
    if (mine !== this.generation) return;
    this.waiting.searching = false;
    if (this.servers.length === 0) {
      const { timeoutMs = 3000, discoveryPort = DEFAULT_DISCOVERY_PORT } = this.options.discovery;
      this.waiting.hints = noServerHints(targets, { timeoutMs, discoveryPort });
    }
    this.broadcast(this.waiting);
  }

  private async host(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.waiting.message = 'starting a server here…';
    this.broadcast(this.waiting);
    try {
      const hosted = await startHostedServer(this.options.hosting);
      this.toLogin({ host: hosted.host, port: hosted.port, fingerprint: hosted.fingerprint, serverName: hosted.name, password: hosted.password, hosted });
    } catch (error) {
      this.waiting.message = `could not start a server: ${(error as Error).message}`;
      this.broadcast(this.waiting);
    } finally {
      this.busy = false;
    }
  }

  private toLogin(target: LoginTarget): void {
    this.generation++;
    this.target = target;
    const address = formatAddress(target.host, target.port);
    let trust = 'checked against your known servers when you log in';
    let keyChange: string | undefined;
    if (target.fingerprint !== undefined) {
      const known = new KnownServers(this.options.configDir);
      const state = known.check(address, target.fingerprint);
      trust =
        state.state === 'known'
          ? state.movedFrom === undefined ? 'known: you have used this server with this key' : `${describeTrustState(state)}: the same key as before, at a new address`
          : state.state === 'new' ? 'new: first time here; check the key with the operator' : 'CHANGED';
      target.trust = state.state;
      if (state.state === 'changed') keyChange = serverKeyChangedError(state, target.fingerprint, known.path).message;
    }
    this.login = {
      type: 'login',
      serverName: target.serverName ?? address,
      address,
      ...(target.fingerprint !== undefined && { fingerprint: target.fingerprint }),
      trust,
      // The name last used on this server, as the terminal UI remembers it (ui.json), else the login name.
      name: this.options.name ?? defaultChatName(this.settings.names?.[address], userInfo().username),
      password: this.options.password ?? target.password ?? '',
      ...(keyChange !== undefined && this.options.acceptNewKey !== true && { keyChange }),
      busy: false,
      errors: {},
      ...(target.hosted && { hosted: { password: target.hosted.password, operatorPassword: target.hosted.operatorPassword } }),
    };
    this.broadcast(this.login);
  }

  private async attempt(request: Extract<PageRequest, { type: 'login' }>): Promise<void> {
    const login = this.login;
    const target = this.target;
    if (!login || !target || login.busy) return;
    login.errors = {};
    login.name = request.name.trim();
    login.password = request.password;
    const accepted = this.options.acceptNewKey === true || (login.keyChange !== undefined && request.accept.trim().toLowerCase() === 'yes');
    if (login.keyChange !== undefined && !accepted) {
      login.errors.accept = 'the key changed: type yes here only if its operator confirmed the new key';
      return this.broadcast(login);
    }
    if (login.name === '') {
      login.errors.name = 'a name, please';
      return this.broadcast(login);
    }
    login.busy = true;
    this.broadcast(login);
    try {
      const fingerprint = this.options.fingerprint ?? target.fingerprint;
      const chat = await ChatClient.connect({
        host: target.host,
        port: target.port,
        configDir: this.options.configDir,
        identity: await this.identity,
        name: login.name,
        password: request.password,
        acceptNewKey: accepted,
        ...(fingerprint !== undefined && { fingerprint }),
      });
      if (accepted && login.keyChange !== undefined) target.trust = 'new key accepted';
      rememberName(this.settings, login.address, login.name);
      this.saveSettings();
      this.login = undefined;
      this.chat = new WebChat(this, chat, { address: login.address, trust: target.trust, ...(target.hosted && { hostedPassword: target.hosted.password }) });
      await this.chat.start();
    } catch (error) {
      login.busy = false;
      const coded = error instanceof ParlorError ? error : new ParlorError('CONNECTION_FAILED', (error as Error).message);
      if (coded.code === 'SERVER_KEY_CHANGED') login.keyChange = coded.message;
      else {
        const wait = coded.retryAfterMs !== undefined ? ` (try again in ${Math.ceil(coded.retryAfterMs / 1000)} s)` : '';
        const where = ['NAME_TAKEN', 'NAME_RESERVED', 'NAME_INVALID', 'BANNED'].includes(coded.code) ? 'name' : ['BAD_PASSWORD', 'RATE_LIMITED'].includes(coded.code) ? 'password' : 'form';
        login.errors[where] = `${coded.code}: ${coded.message}${wait}`;
      }
      this.broadcast(login);
    }
  }
}
