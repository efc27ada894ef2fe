// The IPC messages between bench/fanout.ts and its load generators (bench/workers/fanout.ts).

export interface FanoutSetup {
  type: 'setup';
  host: string;
  port: number;
  fingerprint: string;
  password: string;
  room: string;
  /** Makes this worker's user names unique: `${prefix}s3`, `${prefix}t0`, `${prefix}c117`. */
  prefix: string;
  /** Clients connecting and logging in at once. */
  concurrency: number;
  /** Source addresses to spread the connections over (127.x.y.z). */
  localAddresses: string[];
}

/**
 * Connects `count` more clients of a role, each logged in and in the room:
 * - sender: sends `say` requests open-loop (and receives, decoding, counting exactly);
 * - timing: decodes every message and times it from the stamp its sender put in the text;
 * - counter: stops decrypting after the join and only counts bytes.
 * The bench calls this in phases, so that the room's member order (the server's fan-out order)
 * puts the timing receivers at chosen places among the counters.
 */
export interface FanoutConnect {
  type: 'connect';
  role: 'sender' | 'timing' | 'counter';
  count: number;
}

export interface FanoutStep {
  type: 'step';
  id: number;
  /** Messages a second that each sender of this worker offers. */
  perSenderRate: number;
  durationMs: number;
  /** After the window, how long deliveries are still counted (and latencies still taken). */
  graceMs: number;
  /** Report every latency taken (bench/cluster.ts: its senders are in another worker). */
  samples?: boolean;
}

export type ToFanoutWorker = FanoutSetup | FanoutConnect | FanoutStep | { type: 'exit' };

/** What this worker's clients received, summed over them. */
export interface DeliveryCounts {
  counterBytes: number;
  timingBytes: number;
  timingFrames: number;
  timingMessages: number;
  senderMessages: number;
}

export interface LatencyStats {
  /** Timing receptions expected: messages sent in the step × timing receivers. */
  expected: number;
  received: number;
  /** Milliseconds; null when the percentile fell on messages that never arrived within the grace. */
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export type FromFanoutWorker =
  | { type: 'ready'; setupMs: number }
  | { type: 'connected'; clients: number }
  | {
      type: 'stepDone';
      id: number;
      sent: number;
      acked: number;
      errors: number;
      firstError: string | null;
      /** The worst lag of a sender behind its open-loop schedule, in ms. */
      maxSendLagMs: number;
      /** Whether every sent message was acknowledged (or refused) before the report. */
      drained: boolean;
      /** Counts at rampMs into the window, and at its end: throughput is taken between the two. */
      rampMs: number;
      ramp: DeliveryCounts;
      window: DeliveryCounts;
      grace: DeliveryCounts;
      latency: LatencyStats | null;
      closedClients: number;
      firstCloseReason: string | null;
      /** Every latency taken, in ms, when the step asked for them. */
      samples?: number[];
    };
