/** Printable ASCII only: NFC already, and lower-cased it stays ASCII, so NFC still. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The lookup key of a user or room name: NFC, lower case. Client and server must fold alike.
 * Most names are ASCII, and both sides fold them often (a rejoin's member list, every notice):
 * for those the two ICU normalisations are skipped, with the same result.
 */
export function foldName(raw: string): string {
  if (PRINTABLE_ASCII.test(raw)) return raw.toLowerCase();
  return raw.normalize('NFC').toLowerCase().normalize('NFC');
}

/**
 * Characters that draw nothing: default-ignorable code points (U+034F, variation selectors,
 * U+180B ..., zero-width characters) and the Hangul fillers (default-ignorable too; listed so that
 * the rule holds whatever the engine's Unicode version). Servers refuse them in names; clients
 * show them as <U+XXXX> in names.
 */
export const INVISIBLE_IN_NAME = /[\p{Default_Ignorable_Code_Point}\u115f\u1160\u3164\uffa0]/gu;
