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
  /** Handshake until `max` are done or `durationMs` has passed, whichever first. */
  | { type: 'run'; id: number; max: number; durationMs: number }
  | { type: 'exit' };

export type FromHandshakeWorker =
  | { type: 'ready'; setupMs: number }
  | { type: 'done'; id: number; completed: number; failed: number; firstError: string | null; elapsedMs: number }
  | { type: 'error'; message: string };
