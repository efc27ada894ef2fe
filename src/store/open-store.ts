import { MemoryStore } from './memory-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import type { ChatStore } from './store.ts';

/** SQLite in the data dir, or memory when the server runs --ephemeral. */
export function openStore(options: { ephemeral: boolean; dataDir: string; ephemeralWindow?: number }): ChatStore {
  return options.ephemeral ? new MemoryStore(options.ephemeralWindow) : new SqliteStore(options.dataDir);
}
