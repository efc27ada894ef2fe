// The server's imported RSA public keys of recent clients, with their fingerprints. Clients
// reconnect with the same identity key (after a network blip, a restart, every session of a bot),
// and importing the key, hashing its fingerprint and collecting the KeyObject afterwards cost the
// server's half of the handshake ~35 µs each time (measured on 2 busy vCPUs). A public key is public and a KeyObject is
// immutable, so sharing one between handshakes gives nothing away; a client that sends a new key
// each time only ever misses, at the cost the handshake had before.

import type { KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { rsaFingerprint } from './fingerprint.ts';
import { checkRsaPublicParts, importRsaPublic, type RsaPublicParts } from './raw-keys.ts';

/** Keys kept: the clients that reconnect most; ~1 KiB each (the KeyObject, its fingerprint, the key). */
const CACHED_CLIENT_KEYS = 512;

export interface ImportedClientKey {
  key: KeyObject;
  fingerprint: string;
  /**
   * The key's integers in memory of their own (the hello's are views into a network buffer): the
   * sessions of a client share them, so a reconnect copies nothing.
   */
  exponent: Buffer;
  modulus: Buffer;
}

/**
 * Keyed by the modulus alone: the exponent is checked to be 65537 on every call (its leading zero
 * bytes, which the check allows, change neither the key nor its fingerprint).
 */
const cache = new LRUCache<string, ImportedClientKey>({ max: CACHED_CLIENT_KEYS });

/** importRsaPublic and rsaFingerprint of a client's key, from the cache when the key was seen lately. */
export function importClientKey(parts: RsaPublicParts): ImportedClientKey {
  // A cached key passed the modulus check when it was imported; the exponent is this hello's own.
  checkRsaPublicParts(parts);
  const modulus = parts.modulus.toString('latin1');
  let imported = cache.get(modulus);
  if (imported === undefined) {
    imported = { key: importRsaPublic(parts), fingerprint: rsaFingerprint(parts.exponent, parts.modulus), ...ownCopy(parts) };
    cache.set(modulus, imported);
  }
  return imported;
}

/**
 * Both integers in one allocation of their own: a key kept for sessions' lives must pin neither
 * the network buffer it came in nor one of Node's shared 8 KiB pool slabs (Buffer.from would).
 */
function ownCopy({ exponent, modulus }: RsaPublicParts): RsaPublicParts {
  const both = Buffer.allocUnsafeSlow(exponent.length + modulus.length);
  exponent.copy(both, 0);
  modulus.copy(both, exponent.length);
  return { exponent: both.subarray(0, exponent.length), modulus: both.subarray(exponent.length) };
}
