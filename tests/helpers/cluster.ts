// Several `parlor serve` children on one PostgreSQL database: one chat. They share one Ed25519
// identity, as an operator sets them up (the first server's key file copied into the others' data
// dirs), so a client that trusts one trusts them all.

import { copyFileSync } from 'node:fs';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { join } from 'node:path';
import { SERVER_IDENTITY_FILE } from '../../src/crypto/identity.ts';
import { JOIN_PASSWORD } from './chat-clients.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { tempDir } from './temp-dir.ts';

export interface ChatCluster {
  servers: ServerProcess[];
  dataDirs: string[];
  /** The arguments that server `index` was started with (to start it again). */
  args(index: number): string[];
}

/** `count` servers named A, B, C ... on one database, sharing the first one's identity. */
export async function startCluster(databaseUrl: string, count: number, extra: string[] = []): Promise<ChatCluster> {
  const dataDirs = Array.from({ length: count }, () => tempDir('cluster-data'));
  const args = (index: number) => [
    '--data', dataDirs[index]!, '--database', databaseUrl, '--name', String.fromCharCode(65 + index),
    '--password', JOIN_PASSWORD, '--operator-password', 'op-secret', '--rate', '100000', '--burst', '100000', '--no-discovery', ...extra,
  ];
  const first = await startServerProcess(args(0));
  for (const dir of dataDirs.slice(1)) copyFileSync(join(dataDirs[0]!, SERVER_IDENTITY_FILE), join(dir, SERVER_IDENTITY_FILE));
  const rest = await Promise.all(dataDirs.slice(1).map((_, index) => startServerProcess(args(index + 1))));
  return { servers: [first, ...rest], dataDirs, args };
}

/** Call in a describe: the returned function keeps a client, which is closed after its test, pass or fail. */
export function closedAfterEach(): (client: ChatClient) => ChatClient {
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });
  return (client) => {
    clients.push(client);
    return client;
  };
}
