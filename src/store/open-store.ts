import { MemoryStore } from './memory-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { ChatStore } from './store.ts';

/** PostgreSQL when a database is named, else SQLite in the data dir, or memory when the server runs --ephemeral. */
export async function openStore(options: {
  ephemeral: boolean;
  dataDir: string;
  ephemeralWindow?: number;
  database?: string | undefined;
  databaseTimeoutMs: number;
  clusterHeartbeatMs: number;
  clusterServerGoneMs: number;
}): Promise<ChatStore> {
  if (options.database !== undefined) {
    // Loaded only with a database: node-postgres stays out of every other server.
    const { PostgresStore } = await import('./postgres-store.ts');
    return PostgresStore.open(options.database, { timeoutMs: options.databaseTimeoutMs, heartbeatMs: options.clusterHeartbeatMs, goneMs: options.clusterServerGoneMs });
  }
  return options.ephemeral ? new MemoryStore(options.ephemeralWindow) : new SqliteStore(options.dataDir);
}
