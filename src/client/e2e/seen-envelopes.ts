// The sealed messages this client has opened: each envelope's message id, and the server and the
// message id it was first seen under. A server that deletes a sealed message and stores it again
// under a new id (and a later timestamp) is caught by E2E_REPLAYED only if the first sighting is
// remembered, and a fresh `tail` or UI has no memory of its own: so the record lives in the config
// dir (`seen_envelopes`), one line a message: `MESSAGE-ID-HEX SERVER-FINGERPRINT ID`.
//
// Lines are appended as messages are first opened (several processes may share the config dir:
// a UI and a `tail`; appends of one short line do not interleave). Past `limit` lines the file is
// rewritten with the newer half.

import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readTrustLines, writeTrustLines } from '../trust-file.ts';

export const SEEN_ENVELOPES_FILE = 'seen_envelopes';
const DEFAULT_LIMIT = 100_000;

export class SeenEnvelopes {
  /** Message id (hex) → "SERVER-FINGERPRINT ID" where it was first seen. */
  private readonly seen = new Map<string, string>();

  constructor(
    /** The file, or undefined to remember in memory only. */
    private readonly path: string | undefined,
    private readonly server: string,
    private readonly limit = DEFAULT_LIMIT,
  ) {
    if (!path) return;
    for (const line of readTrustLines(path)) {
      const [messageId, fingerprint, id] = line.split(' ');
      if (messageId && fingerprint && id && /^[0-9a-f]{32}$/.test(messageId)) this.seen.set(messageId, `${fingerprint} ${id}`);
    }
  }

  /** Where this envelope was first seen, when that was not here (server, id): a replay. */
  firstElsewhere(messageId: string, id: number): string | undefined {
    const first = this.seen.get(messageId);
    return first === undefined || first === this.where(id) ? undefined : first;
  }

  remember(messageId: string, id: number): void {
    if (this.seen.has(messageId)) return;
    const where = this.where(id);
    this.seen.set(messageId, where);
    if (this.seen.size > this.limit) this.compact();
    else if (this.path) this.append(`${messageId} ${where}\n`);
  }

  private where(id: number): string {
    return `${this.server} ${id}`;
  }

  private append(line: string): void {
    try {
      mkdirSync(dirname(this.path!), { recursive: true, mode: 0o700 });
      appendFileSync(this.path!, line, { mode: 0o600 });
    } catch {
      // A read-only config dir costs only the memory across runs, never a message.
    }
  }

  private compact(): void {
    const keep = [...this.seen].slice(-Math.floor(this.limit / 2));
    this.seen.clear();
    for (const [messageId, where] of keep) this.seen.set(messageId, where);
    if (!this.path) return;
    try {
      writeTrustLines(this.path, keep.map(([messageId, where]) => `${messageId} ${where}`));
    } catch {
      // As above.
    }
  }
}
