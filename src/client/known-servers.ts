// Trust on first use, like SSH's known_hosts: the first key a server presents is remembered, by its
// address and by the name it advertises, and a different key later is refused loudly. The file is
// plain text, one binding a line, so a user can read it and delete a line deliberately:
//
//   address SHA256:... 192.0.2.10:7447
//   name    SHA256:... office-chat
//
// Address lines protect a known address; name lines catch an impostor on a new address that
// claims a known server's name (DHCP moved the real one, or someone spoofed an advert).

import { join } from 'node:path';
import { readTrustLines, writeTrustLines } from './trust-file.ts';
import { ParlorError } from '../protocol/errors.ts';

export const KNOWN_SERVERS_FILE = 'known_servers';

type BindingKind = 'address' | 'name';

interface Binding {
  kind: BindingKind;
  fingerprint: string;
  value: string;
  line: number;
}

export type TrustState =
  | { state: 'known' }
  | { state: 'new' }
  | { state: 'changed'; kind: BindingKind; value: string; trusted: string; line: number };

export class KnownServers {
  readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, KNOWN_SERVERS_FILE);
  }

  check(address: string, name: string, fingerprint: string): TrustState {
    const bindings = this.read();
    const byAddress = bindings.find((b) => b.kind === 'address' && b.value === address);
    if (byAddress) {
      return byAddress.fingerprint === fingerprint
        ? { state: 'known' }
        : { state: 'changed', kind: 'address', value: address, trusted: byAddress.fingerprint, line: byAddress.line };
    }
    const byName = bindings.find((b) => b.kind === 'name' && b.value === name);
    if (byName && byName.fingerprint !== fingerprint) {
      return { state: 'changed', kind: 'name', value: name, trusted: byName.fingerprint, line: byName.line };
    }
    return byName ? { state: 'known' } : { state: 'new' };
  }

  /** Records (or, after a deliberate accept, replaces) the bindings of address and name. */
  remember(address: string, name: string, fingerprint: string): void {
    const wanted: Array<[BindingKind, string]> = [['address', address], ['name', name]];
    const lines = this.readLines();
    const bindings = parseBindings(lines);
    const isWanted = (b: Binding) => wanted.some(([kind, value]) => b.kind === kind && b.value === value);
    const superseded = new Set(bindings.filter((b) => isWanted(b) && b.fingerprint !== fingerprint).map((b) => b.line));
    const added = wanted
      .filter(([kind, value]) => !bindings.some((b) => b.kind === kind && b.value === value && b.fingerprint === fingerprint))
      .map(([kind, value]) => `${kind.padEnd(7)} ${fingerprint} ${value}`);
    if (added.length === 0 && superseded.size === 0) return;
    const kept = lines.filter((_, index) => !superseded.has(index + 1));
    if (kept.length === 0) kept.push(FILE_HEADER);
    writeTrustLines(this.path, [...kept, ...added]);
  }

  private readLines(): string[] {
    return readTrustLines(this.path);
  }

  private read(): Binding[] {
    return parseBindings(this.readLines());
  }
}

const FILE_HEADER = '# parlor known servers: "address|name FINGERPRINT VALUE". Delete a line to forget a key.';

function parseBindings(lines: string[]): Binding[] {
  const bindings: Binding[] = [];
  lines.forEach((text, index) => {
    const match = /^\s*(address|name)\s+(SHA256:\S+)\s+(.+?)\s*$/.exec(text);
    if (match) bindings.push({ kind: match[1] as BindingKind, fingerprint: match[2]!, value: match[3]!, line: index + 1 });
  });
  return bindings;
}

/** The loud refusal, in the spirit of OpenSSH's: both keys, what it may mean, how to accept. */
export function serverKeyChangedError(
  change: Extract<TrustState, { state: 'changed' }>,
  presented: string,
  knownServersPath: string,
): ParlorError {
  const subject = change.kind === 'address' ? `the server at ${change.value}` : `a server named "${change.value}"`;
  const message = [
    '',
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    "@    WARNING: THE SERVER'S IDENTITY KEY HAS CHANGED!       @",
    '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
    `You trusted ${subject} with key`,
    `    ${change.trusted}`,
    'but the server now presents',
    `    ${presented}`,
    'Someone could be impersonating it (a man-in-the-middle), or its operator may have',
    'replaced its key (a new data dir, a reinstall). Nothing was sent to it.',
    'Check the new fingerprint with the operator. If the change is expected, connect again',
    `with --accept-new-key, or delete line ${change.line} of ${knownServersPath}.`,
  ].join('\n');
  return new ParlorError('SERVER_KEY_CHANGED', message);
}
