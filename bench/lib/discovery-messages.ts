// What bench/discovery.ts tells its worker (bench/workers/discovery-worker.ts, run inside the
// client's network namespace) on its command line, and the one JSON line the worker prints back.

export interface DiscoverySeriesPlan {
  /** "default" (every interface's broadcast and 255.255.255.255) or "broadcast" (explicit targets). */
  name: string;
  /** discoverServers()'s `broadcast` option; absent for the default plan. */
  broadcast?: string[];
  /** Pause after each discovery, so that the beacon's per-source rate limit never bites. */
  gapMs: number;
}

export interface DiscoveryWorkerConfig {
  /**
   * The only non-loopback IPv4 address the worker may see: a worker started anywhere else (the
   * root namespace, by hand) refuses to send a single probe.
   */
  clientAddress: string;
  /** The server's address and fingerprint, checked on every server found. */
  serverHost: string;
  fingerprint: string;
  discoveryPort: number;
  timeoutMs: number;
  /** Untimed discoveries before each series (ARP, module loading, JIT). */
  warmup: number;
  runs: number;
  series: DiscoverySeriesPlan[];
}

export interface DiscoverySeriesResult {
  name: string;
  /** The probe targets of one discovery, as discoverServers() planned them. */
  targets: string[];
  /** The first warm-up discovery: the first call in a fresh process (null: nothing found). */
  coldMs: number | null;
  /** Time from the call to the first server yielded, per measured run (null: nothing found). */
  runsMs: Array<number | null>;
  /** The `via` of the first server found. */
  via: string;
}

export interface DiscoveryWorkerResult {
  type: 'result';
  series: DiscoverySeriesResult[];
}
