// What answered, when a "server" is not parlor: the first bytes it sent are recognised (an HTTP
// status line, an SSH banner, a TLS record, ...) so that a wrong port says so, not
// "FRAME_TOO_LARGE: a frame of 1213486160 bytes" (that number is "HTTP" read as a frame length).

import { ParlorError } from './errors.ts';
import { HandshakeType } from './handshake-messages.ts';

/** How many of the first bytes are kept to recognise a foreign protocol by. */
export const FOREIGN_PREFIX_BYTES = 16;

const ascii = (bytes: Buffer, prefix: string) => bytes.subarray(0, prefix.length).toString('latin1') === prefix;

/** The protocol the bytes open with, in words ("HTTP", "SSH", "TLS"), or undefined. */
export function recogniseProtocol(first: Buffer): string | undefined {
  if (ascii(first, 'HTTP/')) return 'HTTP';
  if (ascii(first, 'SSH-')) return 'SSH';
  // A TLS record: content type 20-23 (change_cipher_spec, alert, handshake, data), version 3.x.
  if (first.length >= 3 && first[0]! >= 0x14 && first[0]! <= 0x17 && first[1] === 0x03 && first[2]! <= 0x04) return 'TLS';
  if (/^220[ -]/.test(first.subarray(0, 4).toString('latin1'))) return 'an SMTP or FTP greeting';
  if (ascii(first, '+OK') || ascii(first, '* OK')) return 'a mail (POP3 or IMAP) greeting';
  if (ascii(first, 'RFB ')) return 'VNC';
  return undefined;
}

/** True when a first handshake frame from a server can be parlor's: a ServerHello or a handshake Error. */
export function isHandshakeReplyType(payload: Buffer): boolean {
  return payload[0] === HandshakeType.ServerHello || payload[0] === HandshakeType.Error;
}

/** NOT_PARLOR for what `address` sent first, naming its protocol where it is recognised. */
export function notParlorError(address: string, first: Buffer): ParlorError {
  const what = recogniseProtocol(first);
  const shown = what ?? `bytes that are not a parlor handshake (${first.subarray(0, 8).toString('hex')}…)`;
  return new ParlorError('NOT_PARLOR', `${address} answered with ${shown}, not parlor: is it the right port?`);
}
