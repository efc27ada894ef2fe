// The IPC messages between the reconnect storm (bench/reconnect-storm.ts) and its client holders
// (bench/workers/storm.ts).

import type { LoginTarget } from './login-target.ts';

export type ToStormWorker =
  | (LoginTarget & {
      type: 'setup';
      clients: number;
      /** Client i joins room `storm-${i % rooms}`. */
      rooms: number;
      /** known_servers and known_peers of this worker's clients. */
      configDir: string;
    })
  /** From now on, count each client's 'reconnected' (logged in again, rooms rejoined, caught up). */
  | { type: 'arm' }
  /** Resolves once every client has reconnected since 'arm', or after timeoutMs. */
  | { type: 'wait'; timeoutMs: number }
  /** The clients' crypto of one reconnect, in a loop with no socket: the reference point of the storm's floor. */
  | { type: 'client-crypto'; maxHandshakes: number; maxMs: number }
  | { type: 'exit' };

export type FromStormWorker =
  | { type: 'ready'; clients: number; setupMs: number }
  | { type: 'armed' }
  /** lastAt: epoch ms (performance.timeOrigin + now) of the last 'reconnected', comparable across processes. */
  /** CPU µs per reconnect: the client's whole handshake, a frame each way; and the RSA-OAEP decrypt within it, alone. */
  | { type: 'client-crypto-done'; handshakes: number; cpuUsPerReconnect: number; rsaDecryptUs: number }
  | { type: 'waited'; reconnected: number; closedForGood: number; lastAt: number; firstCloseReason: string | null; stuck: Record<string, number>; backAtAttempt: Record<number, number>; backAt: number[] };
