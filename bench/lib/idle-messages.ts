// The IPC messages between bench/idle.ts and its session holders (bench/workers/idle.ts).

import type { LoginTarget } from './login-target.ts';

export type ToIdleWorker =
  | (LoginTarget & {
      type: 'setup';
      sessions: number;
      /** Source addresses to spread the connections over (127.x.y.z). */
      localAddresses: string[];
    })
  /** How many of the sessions are still open. */
  | { type: 'status' }
  | { type: 'exit' };

export type FromIdleWorker =
  | { type: 'ready'; sessions: number; setupMs: number }
  | { type: 'status'; open: number; firstCloseReason: string | null };
