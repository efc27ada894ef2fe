// A server in this process and chat clients on it, for tests of the chat's semantics.

import { ChatClient } from '../../src/client/chat-client.ts';
import { generateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import type { DeliveredMessage } from '../../src/client/e2e.ts';
import type { ServerEvent } from '../../src/server/events.ts';
import { ParlorServer, type ServerInput } from '../../src/server/server.ts';
import { sharedIdentities } from './identities.ts';
import { tempDir } from './temp-dir.ts';

export const PASSWORD = 'correct horse';

export interface World {
  server: ParlorServer;
  events: ServerEvent[];
  /** Logs in a client; by default each name gets its own identity (as separate people would). */
  login(name: string, options?: { identity?: ClientIdentity; password?: string; replace?: boolean }): Promise<ChatClient>;
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
  const server = await ParlorServer.start(
    // Generous limits by default: tests of the limits themselves set their own.
    { host: '127.0.0.1', port: 0, password: PASSWORD, dataDir: tempDir('world'), ratePerSecond: 10_000, rateBurst: 10_000, createsPerMinute: 1_000_000, maxRoomsPerCreator: 1_000_000, ...options },
    (event) => events.push(event),
  );
  const clients: ChatClient[] = [];
  // Promises, set before any await: logins started together still get an identity each.
  const identities = new Map<string, Promise<ClientIdentity>>();
  return {
    server,
    events,
    async login(name, { identity, password = PASSWORD, replace } = {}) {
      const key = name.toLowerCase();
      if (!identities.has(key)) identities.set(key, identity ? Promise.resolve(identity) : identityFor(identities.size));
      const client = await ChatClient.connect({
        host: '127.0.0.1',
        port: server.address.port,
        identity: identity ?? (await identities.get(key)!),
        configDir: tempDir('client'),
        fingerprint: server.fingerprint,
        name,
        password,
        reconnect: false,
        ...(replace !== undefined && { replace }),
      });
      clients.push(client);
      return client;
    },
    async stop() {
      for (const client of clients) client.close();
      await server.stop();
    },
  };
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
