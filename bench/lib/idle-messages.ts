// The IPC messages between bench/idle.ts and its session holders (bench/workers/idle.ts).

export type ToIdleWorker =
  | {
      type: 'setup';
      host: string;
      port: number;
      fingerprint: string;
      password: string;
      /** Makes this worker's user names unique: `${prefix}${i}`. */
      prefix: string;
      sessions: number;
      /** Connections handshaking and logging in at once. */
      concurrency: number;
      /** Source addresses to spread the connections over (127.x.y.z). */
      localAddresses: string[];
    }
  /** How many of the sessions are still open. */
  | { type: 'status' }
  | { type: 'exit' };

export type FromIdleWorker =
  | { type: 'ready'; sessions: number; setupMs: number }
  | { type: 'status'; open: number; firstCloseReason: string | null };
