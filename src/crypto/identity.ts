// Long-term identities. A client has an RSA-2048 key (the product card's "RSA-wrapped AES": the
// server wraps each session secret to it); a server has an Ed25519 key that signs every handshake.
// Both are made once, kept as PKCS#8 PEM with mode 0600, and loaded on every later start.

import { createPrivateKey, createPublicKey, generateKeyPair, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ed25519Fingerprint, rsaFingerprint } from './fingerprint.ts';
import { exportOkpRaw, exportRsaParts } from './raw-keys.ts';

const generateKeyPairAsync = promisify(generateKeyPair);

export const CLIENT_IDENTITY_FILE = 'identity_rsa.pem';
export const SERVER_IDENTITY_FILE = 'server_ed25519.pem';
const RSA_BITS = 2048;

export interface ClientIdentity {
  privateKey: KeyObject;
  publicKey: KeyObject;
  exponent: Buffer;
  modulus: Buffer;
  fingerprint: string;
}

export interface ServerIdentity {
  privateKey: KeyObject;
  publicRaw: Buffer;
  fingerprint: string;
}

export function clientIdentityFromKey(privateKey: KeyObject): ClientIdentity {
  if (privateKey.asymmetricKeyType !== 'rsa') throw new Error('a client identity must be an RSA key');
  const publicKey = createPublicKey(privateKey);
  const { exponent, modulus } = exportRsaParts(publicKey);
  return { privateKey, publicKey, exponent, modulus, fingerprint: rsaFingerprint(exponent, modulus) };
}

export function serverIdentityFromKey(privateKey: KeyObject): ServerIdentity {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('a server identity must be an Ed25519 key');
  const publicRaw = exportOkpRaw(createPublicKey(privateKey));
  return { privateKey, publicRaw, fingerprint: ed25519Fingerprint(publicRaw) };
}

export async function generateClientIdentity(): Promise<ClientIdentity> {
  const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: RSA_BITS });
  return clientIdentityFromKey(privateKey);
}

export function generateServerIdentity(): ServerIdentity {
  return serverIdentityFromKey(generateKeyPairSync('ed25519').privateKey);
}

/** Loads the client's identity from its config dir, making and saving one on first use. */
export async function loadOrCreateClientIdentity(configDir: string): Promise<ClientIdentity> {
  const path = join(configDir, CLIENT_IDENTITY_FILE);
  const existing = readPrivateKey(path);
  if (existing) return clientIdentityFromKey(existing);
  const identity = await generateClientIdentity();
  return clientIdentityFromKey(savePrivateKeyOnce(path, identity.privateKey) ?? identity.privateKey);
}

/** Loads the server's identity from its data dir, making and saving one on first start. */
export function loadOrCreateServerIdentity(dataDir: string): ServerIdentity {
  const path = join(dataDir, SERVER_IDENTITY_FILE);
  const existing = readPrivateKey(path);
  if (existing) return serverIdentityFromKey(existing);
  const identity = generateServerIdentity();
  return serverIdentityFromKey(savePrivateKeyOnce(path, identity.privateKey) ?? identity.privateKey);
}

function readPrivateKey(path: string): KeyObject | undefined {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // A key file others can read is repaired rather than refused: the key is only ours to protect.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return createPrivateKey(pem);
}

/**
 * Saves a new key file (0600, in a 0700 dir): written whole to a temp file, then linked into
 * place, which fails if the name exists. So a reader never sees half a key, and if another process
 * made the file first (two clients started at once), its key wins and both agree on one identity.
 */
function savePrivateKeyOnce(path: string, key: KeyObject): KeyObject | undefined {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  try {
    linkSync(temp, path);
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return readPrivateKey(path);
  } finally {
    unlinkSync(temp);
  }
}
