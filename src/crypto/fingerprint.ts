// Key fingerprints in OpenSSH's form: "SHA256:" + unpadded base64 of SHA-256 over the key's SSH
// wire blob (RFC 4253 §6.6, RFC 8709). So `ssh-keygen -lf` on the same key prints the same string,
// and users can check a fingerprint with tools they already trust.

import { hash } from 'node:crypto';

export function sshString(bytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** An SSH mpint: minimal two's complement, so a positive value with its top bit set gains a 0x00. */
function sshMpint(unsignedBigEndian: Buffer): Buffer {
  let start = 0;
  while (start < unsignedBigEndian.length && unsignedBigEndian[start] === 0) start++;
  const magnitude = unsignedBigEndian.subarray(start);
  const needsPad = magnitude.length > 0 && (magnitude[0]! & 0x80) !== 0;
  return sshString(needsPad ? Buffer.concat([Buffer.from([0]), magnitude]) : magnitude);
}

export function fingerprintOfBlob(blob: Buffer): string {
  return 'SHA256:' + hash('sha256', blob, 'base64').replace(/=+$/, '');
}

export function ed25519Blob(rawPublicKey: Buffer): Buffer {
  return Buffer.concat([sshString(Buffer.from('ssh-ed25519')), sshString(rawPublicKey)]);
}

export function rsaBlob(exponent: Buffer, modulus: Buffer): Buffer {
  return Buffer.concat([sshString(Buffer.from('ssh-rsa')), sshMpint(exponent), sshMpint(modulus)]);
}

export function ed25519Fingerprint(rawPublicKey: Buffer): string {
  return fingerprintOfBlob(ed25519Blob(rawPublicKey));
}

export function rsaFingerprint(exponent: Buffer, modulus: Buffer): string {
  return fingerprintOfBlob(rsaBlob(exponent, modulus));
}

/** The public key as one OpenSSH authorized_keys-style line, for comparing with ssh-keygen. */
export function opensshPublicKeyLine(blob: Buffer, comment: string): string {
  const algorithm = blob.subarray(4, 4 + blob.readUInt32BE(0)).toString('ascii');
  return `${algorithm} ${blob.toString('base64')} ${comment}`;
}

const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

export function isFingerprint(value: string): boolean {
  return FINGERPRINT_PATTERN.test(value);
}
