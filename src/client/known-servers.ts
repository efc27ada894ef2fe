// Trust on first use, like SSH's known_hosts: the first key a server presents is remembered by its
// address (HOST:PORT), and a different key later at that address is refused loudly. The file is
// plain text, one address a line, so a user can read it and delete a line deliberately:
//
//   address SHA256:... 192.0.2.10:7447 office-chat
//
// The name after the address is only a label for the reader. Servers are not pinned by name: the
// default name is the host name, so two servers on one machine, or two laptops called "vm", would
// raise false alarms against each other. A known key seen at a new address is "moved", not new.
// Files written before this kept "name" lines too; they are ignored, and dropped on the next write.

import { join } from 'node:path';
import { readTrustLines, writeTrustLines } from './trust-file.ts';
import { ParlorError } from '../protocol/errors.ts';

export const KNOWN_SERVERS_FILE = 'known_servers';

interface Binding {
  fingerprint: string;
  address: string;
  line: number;
}

export type TrustState =
  /** `movedFrom`: the key is known, but at another address until now (DHCP, a second interface). */
  | { state: 'known'; movedFrom?: string }
  | { state: 'new' }
  | { state: 'changed'; address: string; trusted: string; line: number };

export class KnownServers {
  readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, KNOWN_SERVERS_FILE);
  }

  check(address: string, fingerprint: string): TrustState {
    const bindings = this.read();
    const here = bindings.find((b) => b.address === address);
    if (here) {
      return here.fingerprint === fingerprint
        ? { state: 'known' }
        : { state: 'changed', address, trusted: here.fingerprint, line: here.line };
    }
    const elsewhere = bindings.findLast((b) => b.fingerprint === fingerprint);
    return elsewhere ? { state: 'known', movedFrom: elsewhere.address } : { state: 'new' };
  }

  /** Records (or, after a deliberate accept, replaces) the key of an address; `name` is a label. */
  remember(address: string, fingerprint: string, name = ''): void {
    const lines = this.readLines();
    const bindings = parseBindings(lines);
    const current = bindings.find((b) => b.address === address);
    if (current?.fingerprint === fingerprint && !lines.some(isLegacyLine)) return;
    const kept = lines.filter((text, index) => !isLegacyLine(text) && !(current && index + 1 === current.line));
    this.write([...kept, bindingLine(address, fingerprint, name)]);
  }

  /**
   * Forgets a server in one step: its address, and its key wherever else it was seen (a server
   * that moved). Returns the lines removed.
   */
  forget(address: string): string[] {
    const lines = this.readLines();
    const bindings = parseBindings(lines);
    const keys = new Set(bindings.filter((b) => b.address === address).map((b) => b.fingerprint));
    const gone = new Set(bindings.filter((b) => b.address === address || keys.has(b.fingerprint)).map((b) => b.line));
    if (gone.size === 0) return [];
    const removed = lines.filter((_, index) => gone.has(index + 1));
    this.write(lines.filter((text, index) => !gone.has(index + 1) && !isLegacyLine(text)));
    return removed;
  }

  private write(lines: string[]): void {
    const body = lines.filter((text) => text !== OLD_FILE_HEADER && text !== FILE_HEADER);
    writeTrustLines(this.path, [FILE_HEADER, ...body]);
  }

  private readLines(): string[] {
    return readTrustLines(this.path);
  }

  private read(): Binding[] {
    return parseBindings(this.readLines());
  }
}

const FILE_HEADER = '# parlor known servers: "address FINGERPRINT HOST:PORT [name]". Delete a line to forget a key.';
const OLD_FILE_HEADER = '# parlor known servers: "address|name FINGERPRINT VALUE". Delete a line to forget a key.';

/** A "name FINGERPRINT NAME" line of the old format: no longer consulted, dropped when rewriting. */
const isLegacyLine = (text: string) => /^\s*name\s+SHA256:/.test(text);

function bindingLine(address: string, fingerprint: string, name: string): string {
  const label = name.replace(/[\r\n]/g, ' ').trim();
  return `address ${fingerprint} ${address}${label === '' ? '' : ` ${label}`}`;
}

function parseBindings(lines: string[]): Binding[] {
  const bindings: Binding[] = [];
  lines.forEach((text, index) => {
    // An address never holds a space ("[fe80::1]:7447"): what follows it is the label.
    const match = /^\s*address\s+(SHA256:\S+)\s+(\S+)/.exec(text);
    if (match) bindings.push({ fingerprint: match[1]!, address: match[2]!, line: index + 1 });
  });
  return bindings;
}

/** How the trust state reads in a sentence: "new", "known", "known (moved from 10.0.0.1:7447)". */
export function describeTrustState(state: TrustState): string {
  if (state.state === 'changed') return 'KEY CHANGED';
  if (state.state === 'known') return state.movedFrom === undefined ? 'known' : `known (moved from ${state.movedFrom})`;
  return 'new';
}

/** The loud refusal, in the spirit of OpenSSH's: both keys, what it may mean, how to accept. */
export function serverKeyChangedError(
  change: Extract<TrustState, { state: 'changed' }>,
  presented: string,
  knownServersPath: string,
): ParlorError {
  const message = [
    '',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    "@    WARNING: THE SERVER'S IDENTITY KEY HAS CHANGED!       @",
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    `You trusted the server at ${change.address} with key`,
    `    ${change.trusted}`,
    'but the server now presents',
    `    ${presented}`,
    'Someone could be impersonating it (a man-in-the-middle), or its operator may have',
    'replaced its key (a new data dir, a reinstall). Nothing was sent to it.',
    'Check the new fingerprint with the operator. If the change is expected, connect again',
    `with --accept-new-key, or forget the old key: parlor ping --forget ${change.address}`,
    `(or delete line ${change.line} of ${knownServersPath}).`,
  ].join('\n');
  return new ParlorError('SERVER_KEY_CHANGED', message);
}
