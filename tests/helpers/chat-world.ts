// A server in this process and chat clients on it, for tests of the chat's semantics.

import { ChatClient } from '../../src/client/chat-client.ts';
import { generateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import type { ServerEvent } from '../../src/server/events.ts';
import { ParlorServer, type ServerInput } from '../../src/server/server.ts';
import { sharedIdentities } from './identities.ts';
import { tempDir } from './temp-dir.ts';

export const PASSWORD = 'correct horse';

export interface World {
  server: ParlorServer;
  events: ServerEvent[];
  /** Logs in a client; by default each name gets its own identity (as separate people would). */
  login(name: string, options?: { identity?: ClientIdentity; password?: string; replace?: boolean; configDir?: string }): Promise<ChatClient>;
  /** Resolves with the first server event (seen already or still to come) that matches; rejects after timeoutMs. */
  untilEvent(match: (event: ServerEvent) => boolean, timeoutMs?: number): Promise<ServerEvent>;
  stop(): Promise<void>;
}

const extraIdentities: ClientIdentity[] = [];

async function identityFor(index: number): Promise<ClientIdentity> {
  const shared = await sharedIdentities();
  if (index < shared.length) return shared[index]!;
  while (extraIdentities.length <= index - shared.length) extraIdentities.push(await generateClientIdentity());
  return extraIdentities[index - shared.length]!;
}

export async function startWorld(options: ServerInput = {}): Promise<World> {
  const events: ServerEvent[] = [];
  const waiters = new Set<() => void>();
  const server = await ParlorServer.start(
    // Generous limits by default: tests of the limits themselves set their own.
    { host: '127.0.0.1', port: 0, password: PASSWORD, dataDir: tempDir('world'), ratePerSecond: 10_000, rateBurst: 10_000, createsPerMinute: 1_000_000, maxRoomsPerCreator: 1_000_000, ...options },
    (event) => {
      events.push(event);
      for (const wake of waiters) wake();
    },
  );
  const clients: ChatClient[] = [];
  // Promises, set before any await: logins started together still get an identity each.
  const identities = new Map<string, Promise<ClientIdentity>>();
  return {
    server,
    events,
    async login(name, { identity, password = PASSWORD, replace, configDir = tempDir('client') } = {}) {
      const key = name.toLowerCase();
      if (!identities.has(key)) identities.set(key, identity ? Promise.resolve(identity) : identityFor(identities.size));
      const client = await ChatClient.connect({
        host: '127.0.0.1',
        port: server.address.port,
        identity: identity ?? (await identities.get(key)!),
        configDir,
        fingerprint: server.fingerprint,
        name,
        password,
        reconnect: false,
        ...(replace !== undefined && { replace }),
      });
      clients.push(client);
      return client;
    },
    untilEvent(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching server event within ${timeoutMs} ms; saw ${JSON.stringify(events.slice(-5))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      for (const client of clients) client.close();
      await server.stop();
    },
  };
}

/** Resolves once the server has seen `name`'s last connection end (its `disconnect` event). */
export async function disconnected(world: World, name: string): Promise<void> {
  await world.untilEvent((event) => event.event === 'disconnect' && event.name?.toLowerCase() === name.toLowerCase());
}

/**
 * A login as a name another key held, in a world started with a short nameReservationMs: tried
 * again while the server answers NAME_RESERVED, so the test waits for the reservation to lapse
 * rather than for a guessed time. Every other error fails at once.
 */
export async function loginOnceLapsed<T>(login: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await login();
    } catch (error) {
      if (!(error instanceof ParlorError) || error.code !== 'NAME_RESERVED' || Date.now() > deadline || attempt > 1000) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10)); // the interval between tries, not a guess of the wait
    }
  }
}

/** The next `count` messages a client receives (rejects after timeoutMs). */
export function nextMessages(client: ChatClient, count = 1, timeoutMs = 5000): Promise<DeliveredMessage[]> {
  return new Promise((resolve, reject) => {
    const got: DeliveredMessage[] = [];
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`got ${got.length} of ${count} messages: ${JSON.stringify(got)}`));
    }, timeoutMs);
    const onMessage = (message: DeliveredMessage) => {
      got.push(message);
      if (got.length === count) {
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve(got);
      }
    };
    client.on('message', onMessage);
  });
}

/** Collects every message a client receives from now on. */
export function collect(client: ChatClient): DeliveredMessage[] {
  const got: DeliveredMessage[] = [];
  client.on('message', (message) => got.push(message));
  return got;
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<ParlorError> {
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof ParlorError)) throw error;
    if (error.code !== code) throw new Error(`expected ${code}, got ${error.code}: ${error.message}`);
    return error;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** Lets queued deliveries land (a round trip through the server is the surest barrier). */
export async function settle(client: ChatClient): Promise<void> {
  await client.request('ping', {});
}
