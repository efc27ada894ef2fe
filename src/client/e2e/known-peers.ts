// Trust on first use for peers, as ../known-servers.ts does for servers: the first identity key seen
// for a name on a server is remembered, and a different key later is refused loudly until the
// user accepts it (after comparing fingerprints aloud: /whois). Names belong to a server, so a
// binding is (server fingerprint, folded name). Plain text, one binding a line:
//
//   SHA256:<server> ada SHA256:<ada's key>

import { join } from 'node:path';
import { readTrustLines, writeTrustLines } from '../trust-file.ts';
import { foldName } from '../../protocol/names.ts';

export const KNOWN_PEERS_FILE = 'known_peers';
const FILE_HEADER = '# parlor known peers: "SERVER-FINGERPRINT NAME PEER-FINGERPRINT". Delete a line to forget a key.';

export type PeerTrust = { state: 'known' } | { state: 'new' } | { state: 'changed'; trusted: string; line: number };

export class KnownPeers {
  readonly path: string;
  /** Bindings of this server, by folded name; read once, kept in step with every write. */
  private bindings: Map<string, { fingerprint: string; line: number }>;

  constructor(
    configDir: string,
    private readonly server: string,
  ) {
    this.path = join(configDir, KNOWN_PEERS_FILE);
    this.bindings = this.parse(this.readLines());
  }

  check(name: string, fingerprint: string): PeerTrust {
    const bound = this.bindings.get(foldName(name));
    if (!bound) return { state: 'new' };
    return bound.fingerprint === fingerprint ? { state: 'known' } : { state: 'changed', trusted: bound.fingerprint, line: bound.line };
  }

  /** Binds the name to the key (first use, or a change the user accepted). */
  remember(name: string, fingerprint: string): void {
    const key = foldName(name);
    const lines = this.readLines();
    const kept = lines.filter((text) => {
      const match = parseLine(text);
      return !(match && match.server === this.server && match.name === key);
    });
    if (kept.length === 0) kept.push(FILE_HEADER);
    kept.push(`${this.server} ${key} ${fingerprint}`);
    writeTrustLines(this.path, kept);
    this.bindings = this.parse(kept);
  }

  private parse(lines: string[]): Map<string, { fingerprint: string; line: number }> {
    const bindings = new Map<string, { fingerprint: string; line: number }>();
    lines.forEach((text, index) => {
      const match = parseLine(text);
      if (match && match.server === this.server) bindings.set(match.name, { fingerprint: match.fingerprint, line: index + 1 });
    });
    return bindings;
  }

  private readLines(): string[] {
    return readTrustLines(this.path);
  }
}

function parseLine(text: string): { server: string; name: string; fingerprint: string } | undefined {
  const match = /^\s*(SHA256:\S+)\s+(\S+)\s+(SHA256:\S+)\s*$/.exec(text);
  return match ? { server: match[1]!, name: match[2]!, fingerprint: match[3]! } : undefined;
}

/** The loud warning, in the spirit of OpenSSH's: both keys, what it may mean, how to accept. */
export function peerKeyChangedText(name: string, trusted: string, presented: string, path: string, line: number): string {
  return [
    '',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    `@    WARNING: ${name.toUpperCase()}'S IDENTITY KEY HAS CHANGED!`.padEnd(59) + '@',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    `You trusted "${name}" with key`,
    `    ${trusted}`,
    'but the server now gives',
    `    ${presented}`,
    'The server (or someone) could be impersonating them, or they may have a new key',
    '(a new config dir, a new machine). Nothing is sealed to the new key or accepted from it',
    `until you compare fingerprints with ${name} (/whois in the UI) and accept it, or delete line ${line} of ${path}.`,
  ].join('\n');
}
