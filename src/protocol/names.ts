/** The lookup key of a user or room name: NFC, lower case. Client and server must fold alike. */
export function foldName(raw: string): string {
  return raw.normalize('NFC').toLowerCase().normalize('NFC');
}
