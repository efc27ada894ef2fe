// Notices whose wording both UIs share: the terminal UI draws them with blessed, the web client
// in the page; a user who switches between them reads the same words.

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

/** What /whois says of a key's standing with this client. */
export const WHOIS_TRUST_TEXT: Record<'known' | 'new' | 'changed' | 'you', (name: string) => string> = {
  known: (name) => `known: the key you have trusted for ${name}`,
  new: (name) => `new: you have not seen ${name}'s key before; compare it with ${name} (their /name shows it)`,
  changed: (name) => `CHANGED: not the key you trusted for ${name}. Compare it with ${name}, then /trust ${name}`,
  you: () => 'you: this is your own key',
};
