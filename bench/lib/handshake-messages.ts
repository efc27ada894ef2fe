// The IPC messages between bench/handshake.ts and its load generators (bench/workers/handshake.ts).

export type ToHandshakeWorker =
  | {
      type: 'setup';
      host: string;
      port: number;
      fingerprint: string;
      inFlight: number;
      /**
       * 'handshake': close as soon as the handshake is done (the closing frame may then reach the
       * server in the same read as ClientFinished); 'welcome': close once the server's welcome has
       * arrived, as ParlorClient.connect does.
       */
      closeAfter: 'handshake' | 'welcome';
    }
  /**
   * Instead of the parlor server: the plain server of bench/workers/handshake-floor.ts, which
   * plays the same exchange with bytes of these sizes and no crypto.
   */
  | { type: 'setup-plain'; host: string; port: number; inFlight: number; sizes: ExchangeSizes }
  /**
   * Instead of the parlor server: the node:tls TLS 1.3 server of bench/workers/handshake-floor.ts;
   * after its handshake the same welcome and closing bytes cross as with parlor.
   */
  | { type: 'setup-tls'; host: string; port: number; inFlight: number; sizes: ExchangeSizes }
  /**
   * Handshake until `max` are done or `durationMs` has passed, whichever first; no faster than
   * `ratePerSec` connections a second when given (the plain runs match the real runs' rate).
   */
  | { type: 'run'; id: number; max: number; durationMs: number; ratePerSec?: number }
  | { type: 'exit' };

export type FromHandshakeWorker =
  | { type: 'ready'; setupMs: number }
  | { type: 'done'; id: number; completed: number; failed: number; firstError: string | null; elapsedMs: number }
  | { type: 'error'; message: string };

/** Bytes on the wire, frame headers included, of each step of one connection (bench/workers/handshake-floor.ts). */
export interface ExchangeSizes {
  hello: number;
  reply: number;
  finished: number;
  welcome: number;
  closing: number;
}

/** To the process that measures the two reference points (bench/workers/handshake-floor.ts). */
export type ToFloorWorker =
  /** Time the server's half of the handshake in-process, until `maxHandshakes` or `maxMs`. */
  | { type: 'crypto'; maxHandshakes: number; maxMs: number }
  /**
   * Start a plain node:net server that plays the server's side of a connection with these sizes;
   * with `crypto`, one that does the server's crypto too, at the same points as the real server.
   */
  | { type: 'listen'; sizes: ExchangeSizes; crypto?: boolean }
  /** Start a node:tls TLS 1.3 server (X25519, this Ed25519 certificate) that answers with the same bytes. */
  | { type: 'listen-tls'; sizes: ExchangeSizes; key: string; cert: string }
  | { type: 'exit' };

export type FromFloorWorker =
  | { type: 'crypto-done'; handshakes: number; cpuUsPerHandshake: number; sizes: ExchangeSizes }
  | { type: 'listening'; host: string; port: number }
  | { type: 'error'; message: string };
