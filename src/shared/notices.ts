// Notices whose wording both UIs share: the terminal UI draws them with blessed, the web client
// in the page; a user who switches between them reads the same words.

import { ParlorError } from '../protocol/errors.ts';

/** The warning for a peer's changed key, in the spirit of OpenSSH's; drawn with the alarm tone. */
export function peerKeyChangedWarning(change: { name: string; trusted: string; presented: string }): string {
  const { name, trusted, presented } = change;
  return [
    `WARNING: ${name.toUpperCase()}'S IDENTITY KEY HAS CHANGED!`,
    `trusted: ${trusted}`,
    `now:     ${presented}`,
    `Someone may be impersonating ${name}, or ${name} has a new key.`,
    `Messages to and from ${name} are held until you compare fingerprints with ${name} (/whois ${name}) and accept the new key: /trust ${name}`,
  ].join('\n');
}

/** Said where history holds messages sealed before this user joined a secret room. */
export function notSealedText(count: number): string {
  return count === 1
    ? '1 earlier message was sealed before you joined and cannot be read'
    : `${count} earlier messages were sealed before you joined and cannot be read`;
}

/** The answer to /join and /create: the room as the server spells it, and whether it is secret. */
export function joinedText(created: boolean, room: string, secret: boolean): string {
  return `${created ? 'created and joined' : 'joined'} #${room}${secret ? ' (secret: end-to-end encrypted, the server cannot read it)' : ''}`;
}

/** What /whois says of a key's standing with this client. */
export const WHOIS_TRUST_TEXT: Record<'known' | 'new' | 'changed' | 'you', (name: string) => string> = {
  known: (name) => `known: the key you have trusted for ${name}`,
  new: (name) => `new: you have not seen ${name}'s key before; compare it with ${name} (their /name shows it)`,
  changed: (name) => `CHANGED: not the key you trusted for ${name}. Compare it with ${name}, then /trust ${name}`,
  you: () => 'you: this is your own key',
};

/** A time of day, HH:MM, as both UIs print it beside a line. */
export function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** When someone last spoke: a time today, else a date. */
export function lastSpoke(ts: number | null, now = Date.now()): string {
  if (ts === null) return '–';
  const d = new Date(ts);
  return new Date(now).toDateString() === d.toDateString() ? clock(ts) : `${d.getMonth() + 1}/${d.getDate()}`;
}

/** Lines that say something: what the user would lose if one is not sent. */
export const SAYING_KINDS: ReadonlySet<string> = new Set(['say', 'dm', 'group']);

export const NOT_CONNECTED_TEXT = 'not connected: this goes out once parlor has reconnected';

/** A typed line that failed: its code and message (a changed peer key was already shown loud). */
export function failedLineText(error: unknown, saying: boolean): string {
  const coded = error instanceof ParlorError
    ? error.code === 'E2E_PEER_KEY_CHANGED'
      ? 'not sent (E2E_PEER_KEY_CHANGED): a key in this conversation changed; see the warning, compare with /whois, then /trust'
      : `${error.code}: ${error.message}`
    : (error as Error).message;
  return saying ? `${coded} (↑ brings your line back)` : coded;
}
