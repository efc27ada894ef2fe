// How large an end-to-end envelope may be (issue 17, item 1). The server cannot read a sealed
// message, but it knows how many keys it is sealed to and how long its text may be, so it can
// refuse one that no honest client would make: 22 envelopes of 400 KB in #lobby made every later
// join overflow the readers' outbound cap. The layout is docs/protocol.md, section 8.2.

import { ParlorError } from '../protocol/errors.ts';

/**
 * Everything but the ciphertext and the wrapped keys, with room to spare: the header and its names,
 * the sender's RSA key (up to 4096 bits), the IV, the tag and the signature (up to 512 bytes).
 */
const ENVELOPE_FIXED_BYTES = 4 * 1024;
/** One recipient: the digest of its key, the wrap's length, and an RSA-OAEP wrap of up to 4096 bits. */
const ENVELOPE_BYTES_PER_RECIPIENT = 32 + 2 + 512;
/** Keys a sender may know of beyond the room's members as the server sees them (joins and leaves in flight). */
const RECIPIENT_SLACK = 4;

/** The longest `sealed` (base64 characters) for a text of `maxMessageBytes` sealed to `recipients` keys. */
export function maxSealedChars(recipients: number, maxMessageBytes: number): number {
  const bytes = ENVELOPE_FIXED_BYTES + maxMessageBytes + (recipients + RECIPIENT_SLACK) * ENVELOPE_BYTES_PER_RECIPIENT;
  return Math.ceil(bytes / 3) * 4;
}

/** MESSAGE_TOO_LONG for an envelope larger than `recipients` keys and the text cap can need. */
export function checkSealedSize(sealed: string, recipients: number, maxMessageBytes: number, where: string): void {
  const cap = maxSealedChars(recipients, maxMessageBytes);
  if (sealed.length > cap) {
    throw new ParlorError('MESSAGE_TOO_LONG', `a sealed message ${where} is at most ${cap} characters; this one is ${sealed.length}`);
  }
}
