// The SSH front door's host key IS the server's Ed25519 identity, so the fingerprint that an SSH
// client records in known_hosts (`ssh-keygen -lf`) is the one `parlor serve` prints and the
// discovery advert carries. ssh2 reads private keys only in OpenSSH's own container
// ("openssh-key-v1", PROTOCOL.key in OpenSSH's sources), while parlor keeps PKCS#8 PEM: this
// writes the same key into that container, unencrypted, in memory only.

import { randomBytes } from 'node:crypto';
import type { ServerIdentity } from '../crypto/identity.ts';
import { ed25519Blob, sshString } from '../crypto/fingerprint.ts';

/** A PKCS#8 DER Ed25519 private key is a fixed 16-byte header, then the 32-byte seed (RFC 8410). */
const PKCS8_ED25519_HEADER_BYTES = 16;
const SEED_BYTES = 32;
/** The private section is padded to the cipher's block size; 8 for "none". */
const BLOCK_BYTES = 8;

function uint32(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export function opensshPrivateKey(identity: ServerIdentity): string {
  const der = identity.privateKey.export({ type: 'pkcs8', format: 'der' });
  if (der.length !== PKCS8_ED25519_HEADER_BYTES + SEED_BYTES) throw new Error('the server identity is not an Ed25519 key');
  const seed = der.subarray(PKCS8_ED25519_HEADER_BYTES);
  const publicBlob = ed25519Blob(identity.publicRaw);
  // Two equal random words let a reader check a decryption; here they only follow the format.
  const check = randomBytes(4);
  const body = Buffer.concat([
    check,
    check,
    sshString(Buffer.from('ssh-ed25519')),
    sshString(identity.publicRaw),
    // OpenSSH keeps the seed and the public key together as the 64-byte "private key".
    sshString(Buffer.concat([seed, identity.publicRaw])),
    sshString(Buffer.from('parlor server identity')),
  ]);
  const padding = Buffer.from(Array.from({ length: (BLOCK_BYTES - (body.length % BLOCK_BYTES)) % BLOCK_BYTES }, (_, index) => index + 1));
  const container = Buffer.concat([
    Buffer.from('openssh-key-v1\0', 'latin1'),
    sshString(Buffer.from('none')),
    sshString(Buffer.from('none')),
    sshString(Buffer.alloc(0)),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([body, padding])),
  ]);
  const lines = container.toString('base64').match(/.{1,70}/g) ?? [];
  return ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');
}
