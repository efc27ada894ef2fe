// The handshake's hashes and key derivation, shared by both sides so that they cannot disagree.
// docs/protocol.md gives the same steps for writing a client in another language.

import { createHmac, hash, hkdfSync } from 'node:crypto';

const SIGNATURE_CONTEXT = Buffer.from('parlor/1 server signature\0', 'ascii');
const FINISHED_CONTEXT = Buffer.from('parlor/1 client finished\0', 'ascii');
const KEYS_INFO = Buffer.from('parlor/1 session keys', 'ascii');

export interface SessionKeys {
  clientToServer: Buffer;
  serverToClient: Buffer;
  finished: Buffer;
}

/**
 * One-shot hashing: a Hash object is a native object whose release costs the server a garbage
 * collector callback per handshake, and the transcript is only a few KiB to join.
 */
export function transcriptHash(...parts: Buffer[]): Buffer {
  return hash('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer');
}

/** What the server's Ed25519 key signs: a context string, then th1 = SHA-256(ClientHello ‖ ServerHello body). */
export function signedContent(th1: Buffer): Buffer {
  return Buffer.concat([SIGNATURE_CONTEXT, th1]);
}

/**
 * HKDF-SHA256 over both secrets, salted with th2 = SHA-256(ClientHello ‖ ServerHello): the RSA-
 * wrapped secret binds the client's identity key, the X25519 secret gives forward secrecy (a key
 * stolen later cannot open recorded traffic), and the salt binds the keys to this exact transcript.
 */
export function deriveSessionKeys(wrappedSecret: Buffer, x25519Shared: Buffer, th2: Buffer): SessionKeys {
  const okm = Buffer.from(hkdfSync('sha256', Buffer.concat([wrappedSecret, x25519Shared]), th2, KEYS_INFO, 96));
  return { clientToServer: okm.subarray(0, 32), serverToClient: okm.subarray(32, 64), finished: okm.subarray(64, 96) };
}

/** The ClientFinished MAC: proof that the client unwrapped the secret, so holds its identity key. */
export function finishedMac(finishedKey: Buffer, th2: Buffer): Buffer {
  return createHmac('sha256', finishedKey).update(FINISHED_CONTEXT).update(th2).digest();
}
