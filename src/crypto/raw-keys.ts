// Raw key bytes to and from node:crypto KeyObjects. JWK is the fast path: importing costs ~6 µs and
// exporting ~1 µs, against ~100 µs and ~70 µs through OpenSSL 3's DER decoders and encoders.
//
// But a JWK export of a key that a generateKeyPair(Sync) job made can hang the process for good:
// Node 20 holds the key's mutex while it builds the JWK object, a garbage collection at that
// moment can free the finished job, and the job's destructor takes the same mutex (seen in CI;
// tests/crypto/raw-keys.test.ts makes it happen within seconds). So keys that a job made are
// exported as DER (identities: once), and per-handshake X25519 keys are never made by a job.

import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { ParlorError } from '../protocol/errors.ts';
import { RSA_PUBLIC_EXPONENT } from '../protocol/constants.ts';

/** An X25519 or Ed25519 public key as SPKI DER: a fixed 12-byte header, then the key (RFC 8410). */
const OKP_SPKI_HEADER_BYTES = 12;
const OKP_KEY_BYTES = 32;

export interface X25519KeyPair {
  privateKey: KeyObject;
  publicRaw: Buffer;
}

/**
 * A fresh X25519 key pair from 32 random bytes (OpenSSL clamps the scalar and computes the public
 * key on import; `x` is required by Node's JWK check and ignored for a private key). As fast as
 * generateKeyPairSync, and with no job behind it, its public key can take the JWK fast path.
 */
export function generateX25519(): X25519KeyPair {
  return x25519FromRandom(randomBytes(OKP_KEY_BYTES));
}

/**
 * The same from 32 bytes the caller drew fresh from the CSPRNG for this key alone (the server's
 * handshake draws them with its session secret: one CSPRNG call less per handshake, ~2.5 µs).
 */
export function x25519FromRandom(random: Buffer): X25519KeyPair {
  if (random.length !== OKP_KEY_BYTES) throw new Error('an X25519 private key is 32 bytes');
  const d = random.toString('base64url');
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d, x: '' }, format: 'jwk' });
  // The private key's JWK carries the public key (x): no public KeyObject to make and collect.
  const jwk = privateKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new Error('X25519 key generation gave no public key');
  return { privateKey, publicRaw: Buffer.from(jwk.x, 'base64url') };
}

/** An X25519 or Ed25519 public key as raw bytes, through DER (safe for any key; ~70 µs). */
export function exportOkpRaw(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  if (der.length !== OKP_SPKI_HEADER_BYTES + OKP_KEY_BYTES) throw new Error('not an X25519 or Ed25519 public key');
  return der.subarray(OKP_SPKI_HEADER_BYTES);
}

export function importX25519Public(raw: Buffer): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch (cause) {
    throw new ParlorError('BAD_HANDSHAKE', 'an invalid X25519 public key', { cause });
  }
}

export function importEd25519Public(raw: Buffer): KeyObject {
  try {
    return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
  } catch (cause) {
    throw new ParlorError('BAD_HANDSHAKE', 'an invalid Ed25519 public key', { cause });
  }
}

export interface RsaPublicParts {
  exponent: Buffer;
  modulus: Buffer;
}

/** The two integers of an RSA public key, unsigned big-endian without leading zeros (as JWK has them), through DER. */
export function exportRsaParts(key: KeyObject): RsaPublicParts {
  // PKCS#1 RSAPublicKey: SEQUENCE { modulus INTEGER, publicExponent INTEGER } (RFC 8017 A.1.1).
  const der = key.export({ type: 'pkcs1', format: 'der' });
  const sequence = readDer(der, 0, 0x30);
  const modulus = readDer(der, sequence.start, 0x02);
  const exponent = readDer(der, modulus.end, 0x02);
  if (sequence.end !== der.length || exponent.end !== sequence.end) throw new Error('not a PKCS#1 RSA public key');
  return { exponent: unsigned(der.subarray(exponent.start, exponent.end)), modulus: unsigned(der.subarray(modulus.start, modulus.end)) };
}

/** One DER element of the expected tag at `offset`: where its contents start and end. */
function readDer(der: Buffer, offset: number, tag: number): { start: number; end: number } {
  if (der[offset] !== tag) throw new Error(`expected DER tag 0x${tag.toString(16)} at ${offset}`);
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = der.readUIntBE(start, bytes);
    start += bytes;
  }
  if (start + length > der.length) throw new Error('a DER element overruns its buffer');
  return { start, end: start + length };
}

/** A DER INTEGER's contents as an unsigned number: the sign byte of a positive one dropped. */
function unsigned(integer: Buffer): Buffer {
  let start = 0;
  while (start < integer.length - 1 && integer[start] === 0) start++;
  return integer.subarray(start);
}

/** What importRsaPublic refuses before OpenSSL sees the key: an exponent other than 65537, an even modulus. */
export function checkRsaPublicParts({ exponent, modulus }: RsaPublicParts): void {
  if (exponent.length > 4 || exponent.readUIntBE(0, exponent.length) !== RSA_PUBLIC_EXPONENT) {
    throw new ParlorError('BAD_HANDSHAKE', 'the RSA public exponent must be 65537');
  }
  if ((modulus[modulus.length - 1]! & 1) === 0) throw new ParlorError('BAD_HANDSHAKE', 'an even RSA modulus');
}

/** Imports a peer's RSA key, accepting only the exponent 65537 (small exponents invite trouble). */
export function importRsaPublic({ exponent, modulus }: RsaPublicParts): KeyObject {
  checkRsaPublicParts({ exponent, modulus });
  try {
    return createPublicKey({
      key: { kty: 'RSA', n: modulus.toString('base64url'), e: exponent.toString('base64url') },
      format: 'jwk',
    });
  } catch (cause) {
    throw new ParlorError('BAD_HANDSHAKE', 'an invalid RSA public key', { cause });
  }
}
