// What a server reports about itself: `parlor serve --json` prints each as one JSON line, the
// human mode a short sentence. Tests and scripts read these instead of reaching into internals.

export type ServerEvent =
  | {
      event: 'listening';
      host: string;
      port: number;
      name: string;
      fingerprint: string;
      /** The join password, which the discovery advert carries too. */
      password: string;
      /** Only when it was generated: the operator must learn it somewhere. */
      operatorPassword?: string;
      ephemeral: boolean;
      dataDir: string | null;
      /** With --database: the PostgreSQL it keeps the chat in (without a password), shared with the chat's other servers. */
      database?: string;
      /** With --database: the chat's id and the name all its servers advertise (the first server's --name). */
      chat?: { id: string; name: string };
      /** The UDP port that answers discovery probes, or null when discovery is off or failed. */
      discoveryPort: number | null;
      /** Whether `_parlor._tcp` is published over mDNS. */
      mdns: boolean;
      /** The SSH front door's port, or null without --ssh. */
      sshPort: number | null;
    }
  | { event: 'discovery_unavailable'; reason: string }
  /** A plugin (or a --disable-command name) that could not be used: the server runs without it. */
  | { event: 'plugin_skipped'; source: string; problem: string }
  /** Something at start that works, but not as asked (e.g. !shell falling back from bwrap). */
  | { event: 'warning'; message: string }
  | { event: 'session'; remote: string; client: string }
  | { event: 'login'; remote: string; client: string; name: string }
  | { event: 'refused'; remote: string; code: string }
  | { event: 'error'; remote: string; message: string }
  | { event: 'handshake_failed'; remote: string; code: string; message: string }
  | { event: 'disconnect'; remote: string; client: string; name: string | null; code: string; message: string; by: 'client' | 'server' }
  /** An operator's `!release NAME`: the name is no longer bound to that key (logged: it moves an identity). */
  | { event: 'name_released'; name: string; fingerprint: string; by: string }
  | { event: 'stopping'; reason: string }
  | { event: 'stopped' };
