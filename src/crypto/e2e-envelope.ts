// End-to-end envelopes: pure functions over keys and bytes, no sockets, no chat. A sender seals a
// payload under a fresh AES-256-GCM key, wraps that key with RSA-OAEP (SHA-256) to each recipient's
// identity key (its own included, so its history stays readable), and signs with RSA-PSS
// (SHA-256) over everything that says what the payload is and where it belongs: the kind, a
// unique id, the room or recipient, the sender's name and key, the IV and the ciphertext. The
// server relays the bytes and cannot forge, alter, re-attribute or move them without the
// signature failing. docs/protocol.md (section 8) gives the layout byte by byte.
//
// The parts are separate so that a later payload (a file transfer's per-transfer key and its
// metadata, kind 0x02) can be wrapped and signed the same way: wrapContentKey, unwrapContentKey,
// signHeader and verifyHeader do not know what the payload is.

import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { RSA_MAX_MODULUS_BYTES, RSA_MIN_MODULUS_BYTES } from '../protocol/constants.ts';
import { ParlorError } from '../protocol/errors.ts';
import { rsaFingerprint } from './fingerprint.ts';
import type { ClientIdentity } from './identity.ts';
import { importRsaPublic, type RsaPublicParts } from './raw-keys.ts';

const MAGIC = Buffer.from('PE2E', 'ascii');
/**
 * Version 2 adds `sentAt`, the sender's clock, inside the signed header (issue 17 item 13: a server
 * could otherwise store a sealed message again under a later timestamp). Version 1 envelopes, with
 * no sender time, are still opened; only version 2 is sealed.
 */
export const ENVELOPE_VERSION = 2;
const ENVELOPE_VERSIONS_READ = [1, 2];
const RSA_EXPONENT_BYTES = Buffer.from([0x01, 0x00, 0x01]);
export const ENVELOPE_KIND = { message: 0x01, file: 0x02 } as const;
export type EnvelopeKind = keyof typeof ENVELOPE_KIND;
export const ENVELOPE_SCOPE = { room: 0x01, direct: 0x02 } as const;
export type EnvelopeScope = keyof typeof ENVELOPE_SCOPE;

const SIGNATURE_CONTEXT = Buffer.from('parlor/1 e2e signature\0', 'ascii');
const MESSAGE_ID_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const CONTENT_KEY_BYTES = 32;
const DIGEST_BYTES = 32;
/** A room of more than this many members is beyond what one envelope is meant to carry. */
export const MAX_RECIPIENTS = 1024;

/** A recipient's identity key: its fingerprint (which names it in the envelope) and the key. */
export interface RecipientKey {
  fingerprint: string;
  key: KeyObject;
}

/** One recipient's copy of the content key: SHA-256 digest of its key blob, and the OAEP wrap. */
export interface WrappedKey {
  digest: Buffer;
  wrapped: Buffer;
}

export interface EnvelopeHeader {
  kind: EnvelopeKind;
  /** Client-chosen, random: the receiver remembers it to catch replays. */
  messageId: Buffer;
  scope: EnvelopeScope;
  /** The room's folded name, or the recipient's folded name for a direct message. */
  target: string;
  /** The sender's folded name. */
  sender: string;
  senderKey: RsaPublicParts;
  /** The sender's clock when it sealed (ms since the epoch), signed; undefined in a version 1 envelope. */
  sentAt: number | undefined;
  iv: Buffer;
}

export interface Envelope extends EnvelopeHeader {
  ciphertext: Buffer;
  wrappedKeys: WrappedKey[];
  signature: Buffer;
  /** The signed bytes (magic through ciphertext), and the GCM additional data (magic up to the IV). */
  signed: Buffer;
  aad: Buffer;
  /** The fingerprint of senderKey, computed here, never taken from the wire. */
  senderFingerprint: string;
}

/** The 32 bytes behind an OpenSSH-style "SHA256:..." fingerprint. */
export function fingerprintDigest(fingerprint: string): Buffer {
  const digest = Buffer.from(fingerprint.replace(/^SHA256:/, ''), 'base64');
  if (digest.length !== DIGEST_BYTES) throw new ParlorError('E2E_MALFORMED', `not a SHA256 fingerprint: ${fingerprint.slice(0, 64)}`);
  return digest;
}

// --- the reusable parts -------------------------------------------------------------------------

/** A fresh content key wrapped to every recipient once (recipients with one key share one wrap). */
export function wrapContentKey(contentKey: Buffer, recipients: readonly RecipientKey[]): WrappedKey[] {
  const seen = new Set<string>();
  const wrapped: WrappedKey[] = [];
  for (const recipient of recipients) {
    if (seen.has(recipient.fingerprint)) continue;
    seen.add(recipient.fingerprint);
    wrapped.push({
      digest: fingerprintDigest(recipient.fingerprint),
      wrapped: publicEncrypt({ key: recipient.key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey),
    });
  }
  if (wrapped.length > MAX_RECIPIENTS) throw new ParlorError('BAD_REQUEST', `an envelope carries at most ${MAX_RECIPIENTS} recipients`);
  return wrapped;
}

/** The content key wrapped to this identity, or undefined when the sender did not seal to it. */
export function unwrapContentKey(wrappedKeys: readonly WrappedKey[], identity: ClientIdentity): Buffer | undefined {
  const mine = fingerprintDigest(identity.fingerprint);
  const entry = wrappedKeys.find((w) => w.digest.equals(mine));
  if (!entry) return undefined;
  let key: Buffer;
  try {
    key = privateDecrypt({ key: identity.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, entry.wrapped);
  } catch (cause) {
    throw new ParlorError('E2E_DECRYPT_FAILED', 'the key wrapped to you does not unwrap', { cause });
  }
  if (key.length !== CONTENT_KEY_BYTES) throw new ParlorError('E2E_DECRYPT_FAILED', 'the key wrapped to you has the wrong length');
  return key;
}

export function signHeader(identity: ClientIdentity, signed: Buffer): Buffer {
  return sign('sha256', Buffer.concat([SIGNATURE_CONTEXT, signed]), pssKey(identity.privateKey));
}

export function verifyHeader(senderKey: KeyObject, signed: Buffer, signature: Buffer): boolean {
  try {
    return verify('sha256', Buffer.concat([SIGNATURE_CONTEXT, signed]), pssKey(senderKey), signature);
  } catch {
    return false;
  }
}

function pssKey<K extends KeyObject>(key: K) {
  return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
}

// --- sealing and opening a message --------------------------------------------------------------

export interface SealInput {
  identity: ClientIdentity;
  scope: EnvelopeScope;
  target: string;
  sender: string;
  plaintext: Buffer;
  /** Everyone who may read it; the sender's own key is added if missing. */
  recipients: readonly RecipientKey[];
  kind?: EnvelopeKind;
  messageId?: Buffer;
  /**
   * The key to seal under; fresh by default. A file transfer passes its per-transfer key here, so
   * that the envelope carrying its metadata also delivers (wrapped) the key its chunks use.
   */
  contentKey?: Buffer;
  /** The sender's clock, signed into the envelope; now by default. */
  sentAt?: number;
}

export function newMessageId(): Buffer {
  return randomBytes(MESSAGE_ID_BYTES);
}

/** Seals and signs; returns the encoded envelope. */
export function sealEnvelope(input: SealInput): Buffer {
  const header: EnvelopeHeader = {
    kind: input.kind ?? 'message',
    messageId: input.messageId ?? newMessageId(),
    scope: input.scope,
    target: input.target,
    sender: input.sender,
    senderKey: { exponent: input.identity.exponent, modulus: input.identity.modulus },
    sentAt: input.sentAt ?? Date.now(),
    iv: randomBytes(IV_BYTES),
  };
  const contentKey = input.contentKey ?? randomBytes(CONTENT_KEY_BYTES);
  if (contentKey.length !== CONTENT_KEY_BYTES) throw new ParlorError('BAD_REQUEST', `a content key is ${CONTENT_KEY_BYTES} bytes`);
  const aad = encodeHeaderUpToIv(header);
  const cipher = createCipheriv('aes-256-gcm', contentKey, header.iv);
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
  const signed = Buffer.concat([aad, header.iv, u32(ciphertext.length), ciphertext]);
  const self: RecipientKey = { fingerprint: input.identity.fingerprint, key: input.identity.publicKey };
  const wrappedKeys = wrapContentKey(contentKey, [self, ...input.recipients]);
  const signature = signHeader(input.identity, signed);
  const parts: Buffer[] = [signed, u16(wrappedKeys.length)];
  for (const w of wrappedKeys) parts.push(w.digest, u16(w.wrapped.length), w.wrapped);
  parts.push(u16(signature.length), signature);
  return Buffer.concat(parts);
}

/** Parses the bytes; throws E2E_MALFORMED on anything out of shape. Verifies nothing. */
export function decodeEnvelope(bytes: Buffer): Envelope {
  const reader = new Reader(bytes);
  if (!reader.take(4).equals(MAGIC)) throw malformed('bad magic');
  const version = reader.u8();
  if (!ENVELOPE_VERSIONS_READ.includes(version)) throw malformed('unknown version');
  const kind = keyOf(ENVELOPE_KIND, reader.u8(), 'kind');
  const messageId = reader.take(MESSAGE_ID_BYTES);
  const scope = keyOf(ENVELOPE_SCOPE, reader.u8(), 'scope');
  const target = reader.text(reader.u8());
  const sender = reader.text(reader.u8());
  const exponent = reader.take(reader.u8());
  const modulus = reader.take(reader.u16());
  // As in a ClientHello (every sender's key was one): minimal big-endian, e = 65537, 2048–4096 bits.
  if (!exponent.equals(RSA_EXPONENT_BYTES)) throw malformed('the exponent is not 65537 as 01 00 01');
  if (modulus.length < RSA_MIN_MODULUS_BYTES || modulus.length > RSA_MAX_MODULUS_BYTES || modulus[0] === 0) {
    throw malformed('the modulus is not 256 to 512 bytes, minimal big-endian');
  }
  const sentAt = version >= 2 ? reader.u64() : undefined;
  const aadEnd = reader.offset;
  const iv = reader.take(IV_BYTES);
  const ciphertextLength = reader.u32();
  if (ciphertextLength < TAG_BYTES) throw malformed('ciphertext shorter than its tag');
  const ciphertext = reader.take(ciphertextLength);
  const signedEnd = reader.offset;
  const count = reader.u16();
  if (count < 1 || count > MAX_RECIPIENTS) throw malformed('bad recipient count');
  const wrappedKeys: WrappedKey[] = [];
  for (let i = 0; i < count; i++) wrappedKeys.push({ digest: reader.take(DIGEST_BYTES), wrapped: reader.take(reader.u16()) });
  const signature = reader.take(reader.u16());
  if (reader.offset !== bytes.length) throw malformed('trailing bytes');
  if (target.length === 0 || sender.length === 0) throw malformed('empty target or sender');
  let senderFingerprint: string;
  try {
    importRsaPublic({ exponent, modulus });
    senderFingerprint = rsaFingerprint(exponent, modulus);
  } catch (cause) {
    throw new ParlorError('E2E_MALFORMED', "the sender's key in a sealed message is not a valid RSA key", { cause });
  }
  return {
    kind,
    messageId,
    scope,
    target,
    sender,
    senderKey: { exponent, modulus },
    sentAt,
    iv,
    ciphertext,
    wrappedKeys,
    signature,
    signed: bytes.subarray(0, signedEnd),
    aad: bytes.subarray(0, aadEnd),
    senderFingerprint,
  };
}

/** Throws E2E_BAD_SIGNATURE unless the sender's key signed the envelope. */
export function verifyEnvelope(envelope: Envelope, senderKey: KeyObject): void {
  if (!verifyHeader(senderKey, envelope.signed, envelope.signature)) {
    throw new ParlorError('E2E_BAD_SIGNATURE', `a sealed message from "${envelope.sender}" does not carry a valid signature`);
  }
}

/**
 * The plaintext, or undefined when nothing was wrapped to this identity (it joined after the
 * message was sent). Call verifyEnvelope first: this checks only that the ciphertext decrypts.
 */
export function openEnvelope(envelope: Envelope, identity: ClientIdentity): Buffer | undefined {
  const contentKey = unwrapContentKey(envelope.wrappedKeys, identity);
  if (!contentKey) return undefined;
  return decryptEnvelope(envelope, contentKey);
}

/** The plaintext under a content key already unwrapped (a file transfer keeps the key for its chunks). */
export function decryptEnvelope(envelope: Envelope, contentKey: Buffer): Buffer {
  const body = envelope.ciphertext.subarray(0, envelope.ciphertext.length - TAG_BYTES);
  const tag = envelope.ciphertext.subarray(envelope.ciphertext.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', contentKey, envelope.iv);
    decipher.setAAD(envelope.aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw new ParlorError('E2E_DECRYPT_FAILED', 'a sealed message does not decrypt with the key wrapped to you', { cause });
  }
}

// --- encoding helpers ---------------------------------------------------------------------------

function encodeHeaderUpToIv(header: EnvelopeHeader): Buffer {
  const target = Buffer.from(header.target, 'utf8');
  const sender = Buffer.from(header.sender, 'utf8');
  if (target.length < 1 || target.length > 255 || sender.length < 1 || sender.length > 255) {
    throw new ParlorError('BAD_REQUEST', 'a target or sender name of 1 to 255 bytes');
  }
  if (header.messageId.length !== MESSAGE_ID_BYTES) throw new ParlorError('BAD_REQUEST', `a message id is ${MESSAGE_ID_BYTES} bytes`);
  const sentAt = header.sentAt === undefined ? [] : [u64(header.sentAt)];
  return Buffer.concat([
    MAGIC,
    Buffer.from([header.sentAt === undefined ? 1 : ENVELOPE_VERSION, ENVELOPE_KIND[header.kind]]),
    header.messageId,
    Buffer.from([ENVELOPE_SCOPE[header.scope], target.length]),
    target,
    Buffer.from([sender.length]),
    sender,
    Buffer.from([header.senderKey.exponent.length]),
    header.senderKey.exponent,
    u16(header.senderKey.modulus.length),
    header.senderKey.modulus,
    ...sentAt,
  ]);
}

function u16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
}

function u64(value: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0) throw new ParlorError('BAD_REQUEST', 'a time of 0 to 2^53 ms');
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(value));
  return b;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(value);
  return b;
}

function malformed(why: string): ParlorError {
  return new ParlorError('E2E_MALFORMED', `a sealed message is malformed: ${why}`);
}

function keyOf<T extends Record<string, number>>(table: T, value: number, what: string): keyof T & string {
  const found = Object.entries(table).find(([, v]) => v === value);
  if (!found) throw malformed(`unknown ${what} ${value}`);
  return found[0] as keyof T & string;
}

class Reader {
  offset = 0;
  constructor(private readonly bytes: Buffer) {}

  take(length: number): Buffer {
    if (this.offset + length > this.bytes.length) throw malformed('cut short');
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  u8(): number {
    return this.take(1)[0]!;
  }

  u16(): number {
    return this.take(2).readUInt16BE(0);
  }

  u32(): number {
    return this.take(4).readUInt32BE(0);
  }

  u64(): number {
    const value = this.take(8).readBigUInt64BE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed('a time beyond 2^53 ms');
    return Number(value);
  }

  text(length: number): string {
    const bytes = this.take(length);
    const text = bytes.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(bytes)) throw malformed('a name that is not UTF-8');
    return text;
  }
}
