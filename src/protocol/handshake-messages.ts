// The binary handshake messages, byte for byte as docs/protocol.md describes them. Pure encode and
// decode: every decode checks every length and throws BAD_HANDSHAKE on anything off, so that the
// state machines in src/crypto only ever see well-formed values.

import {
  ED25519_KEY_BYTES,
  ED25519_SIGNATURE_BYTES,
  FINISHED_MAC_BYTES,
  HANDSHAKE_MAGIC,
  RSA_MAX_MODULUS_BYTES,
  RSA_MIN_MODULUS_BYTES,
  SERVER_NAME_MAX_BYTES,
  SUPPORTED_VERSIONS,
  X25519_KEY_BYTES,
} from './constants.ts';
import { ParlorError, isErrorCode, type ErrorCode } from './errors.ts';

export const HandshakeType = {
  ClientHello: 0x01,
  ServerHello: 0x02,
  ClientFinished: 0x03,
  Error: 0x7f,
} as const;

/**
 * As decodeClientHello returns it, every field is a view into the payload, not a copy: the server
 * keeps none of them as they are (its key cache holds its own copy of the RSA key's integers, see
 * src/crypto/client-key-cache.ts), and five copies per handshake were five ArrayBuffers of their
 * own for the garbage collector.
 */
export interface ClientHello {
  version: number;
  /** The client's ephemeral X25519 public key, raw. */
  ephemeralKey: Buffer;
  /** The client's RSA identity key: public exponent and modulus, unsigned big-endian. */
  rsaExponent: Buffer;
  rsaModulus: Buffer;
}

export interface ServerHello {
  version: number;
  /** The server's long-term Ed25519 public key, raw. */
  identityKey: Buffer;
  /** The server's ephemeral X25519 public key, raw. */
  ephemeralKey: Buffer;
  /** The session secret, RSA-OAEP-SHA256-encrypted to the client's identity key. */
  wrappedSecret: Buffer;
  /** The server's name, UTF-8, as it advertises it. */
  serverName: string;
  /** Ed25519 over the transcript; absent only while the message is being built. */
  signature: Buffer;
}

export interface HandshakeErrorMessage {
  code: ErrorCode;
  message: string;
  supportedVersions?: number[];
}

/** Reads a handshake payload field by field, failing with BAD_HANDSHAKE on any short read. */
class FieldReader {
  private offset = 0;
  constructor(
    private readonly bytes: Buffer,
    private readonly what: string,
  ) {}

  u8(): number {
    this.need(1);
    return this.bytes.readUInt8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  fixed(length: number): Buffer {
    this.need(length);
    // Copied into memory of its own: a key kept for a session's life must pin neither the network
    // buffer it came in nor one of Node's shared 8 KiB pool slabs (Buffer.from would).
    const out = Buffer.allocUnsafeSlow(length);
    this.bytes.copy(out, 0, this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** The next bytes as a view into the payload: for what is used at once and not kept. */
  view(length: number): Buffer {
    this.need(length);
    const out = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  end(): void {
    if (this.offset !== this.bytes.length) {
      throw new ParlorError('BAD_HANDSHAKE', `${this.what} has ${this.bytes.length - this.offset} trailing bytes`);
    }
  }

  private need(length: number): void {
    if (this.offset + length > this.bytes.length) {
      throw new ParlorError('BAD_HANDSHAKE', `${this.what} is truncated`);
    }
  }
}

export function handshakeType(payload: Buffer): number {
  if (payload.length === 0) throw new ParlorError('BAD_HANDSHAKE', 'an empty handshake message');
  return payload[0]!;
}

export function encodeClientHello(hello: ClientHello): Buffer {
  const header = Buffer.alloc(1 + HANDSHAKE_MAGIC.length + 1);
  header[0] = HandshakeType.ClientHello;
  HANDSHAKE_MAGIC.copy(header, 1);
  header[1 + HANDSHAKE_MAGIC.length] = hello.version;
  const modulusLength = Buffer.alloc(2);
  modulusLength.writeUInt16BE(hello.rsaModulus.length);
  return Buffer.concat([
    header,
    hello.ephemeralKey,
    Buffer.from([hello.rsaExponent.length]),
    hello.rsaExponent,
    modulusLength,
    hello.rsaModulus,
  ]);
}

/** Decodes a ClientHello; an unsupported version fails as UNSUPPORTED_VERSION, not BAD_HANDSHAKE. */
export function decodeClientHello(payload: Buffer): ClientHello {
  const reader = new FieldReader(payload, 'ClientHello');
  if (reader.u8() !== HandshakeType.ClientHello) throw new ParlorError('BAD_HANDSHAKE', 'expected a ClientHello');
  if (!reader.view(HANDSHAKE_MAGIC.length).equals(HANDSHAKE_MAGIC)) {
    throw new ParlorError('BAD_HANDSHAKE', 'not a parlor client (bad magic)');
  }
  const version = reader.u8();
  // Checked before the rest: a later version may lay the rest out differently.
  if (!SUPPORTED_VERSIONS.includes(version)) {
    throw new ParlorError('UNSUPPORTED_VERSION', `protocol version ${version} is not supported (this server speaks ${SUPPORTED_VERSIONS.join(', ')})`);
  }
  const ephemeralKey = reader.view(X25519_KEY_BYTES);
  const exponentLength = reader.u8();
  if (exponentLength < 1 || exponentLength > 8) throw new ParlorError('BAD_HANDSHAKE', 'RSA exponent length out of range');
  const rsaExponent = reader.view(exponentLength);
  const modulusLength = reader.u16();
  if (modulusLength < RSA_MIN_MODULUS_BYTES || modulusLength > RSA_MAX_MODULUS_BYTES) {
    throw new ParlorError('BAD_HANDSHAKE', `RSA modulus of ${modulusLength} bytes is outside 2048–4096 bits`);
  }
  const rsaModulus = reader.view(modulusLength);
  reader.end();
  if (rsaModulus[0] === 0 || rsaExponent[0] === 0) {
    throw new ParlorError('BAD_HANDSHAKE', 'RSA integers must be minimal big-endian (no leading zero)');
  }
  return { version, ephemeralKey, rsaExponent, rsaModulus };
}

/** The ServerHello without its signature: the bytes that the transcript hash covers. */
export function encodeServerHelloBody(hello: Omit<ServerHello, 'signature'>): Buffer {
  const name = Buffer.from(hello.serverName, 'utf8');
  if (name.length > SERVER_NAME_MAX_BYTES) throw new ParlorError('BAD_HANDSHAKE', 'server name too long');
  const wrappedLength = Buffer.alloc(2);
  wrappedLength.writeUInt16BE(hello.wrappedSecret.length);
  return Buffer.concat([
    Buffer.from([HandshakeType.ServerHello, hello.version]),
    hello.identityKey,
    hello.ephemeralKey,
    wrappedLength,
    hello.wrappedSecret,
    Buffer.from([name.length]),
    name,
  ]);
}

export function decodeServerHello(payload: Buffer): { hello: ServerHello; body: Buffer } {
  const reader = new FieldReader(payload, 'ServerHello');
  if (reader.u8() !== HandshakeType.ServerHello) throw new ParlorError('BAD_HANDSHAKE', 'expected a ServerHello');
  const version = reader.u8();
  const identityKey = reader.fixed(ED25519_KEY_BYTES);
  const ephemeralKey = reader.fixed(X25519_KEY_BYTES);
  const wrappedLength = reader.u16();
  if (wrappedLength < RSA_MIN_MODULUS_BYTES || wrappedLength > RSA_MAX_MODULUS_BYTES) {
    throw new ParlorError('BAD_HANDSHAKE', 'wrapped secret length out of range');
  }
  const wrappedSecret = reader.fixed(wrappedLength);
  const nameLength = reader.u8();
  if (nameLength > SERVER_NAME_MAX_BYTES) throw new ParlorError('BAD_HANDSHAKE', 'server name too long');
  const nameBytes = reader.fixed(nameLength);
  const signature = reader.fixed(ED25519_SIGNATURE_BYTES);
  reader.end();
  let serverName: string;
  try {
    serverName = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(nameBytes);
  } catch {
    throw new ParlorError('BAD_HANDSHAKE', 'the server name is not UTF-8');
  }
  const body = payload.subarray(0, payload.length - ED25519_SIGNATURE_BYTES);
  return { hello: { version, identityKey, ephemeralKey, wrappedSecret, serverName, signature }, body };
}

export function encodeClientFinished(mac: Buffer): Buffer {
  return Buffer.concat([Buffer.from([HandshakeType.ClientFinished]), mac]);
}

export function decodeClientFinished(payload: Buffer): Buffer {
  const reader = new FieldReader(payload, 'ClientFinished');
  if (reader.u8() !== HandshakeType.ClientFinished) throw new ParlorError('BAD_HANDSHAKE', 'expected a ClientFinished');
  // Compared at once and not kept.
  const mac = reader.view(FINISHED_MAC_BYTES);
  reader.end();
  return mac;
}

/** An error said during the handshake, before any key exists: a type byte, then UTF-8 JSON. */
export function encodeHandshakeError(error: HandshakeErrorMessage): Buffer {
  return Buffer.concat([Buffer.from([HandshakeType.Error]), Buffer.from(JSON.stringify(error), 'utf8')]);
}

export function decodeHandshakeError(payload: Buffer): HandshakeErrorMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.subarray(1).toString('utf8'));
  } catch {
    throw new ParlorError('BAD_HANDSHAKE', 'an unreadable handshake error');
  }
  const record = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  const code = isErrorCode(record.code) ? record.code : 'BAD_HANDSHAKE';
  const message = typeof record.message === 'string' ? record.message.slice(0, 500) : 'handshake refused';
  const versions = Array.isArray(record.supportedVersions)
    ? record.supportedVersions.filter((v): v is number => Number.isInteger(v))
    : undefined;
  return versions ? { code, message, supportedVersions: versions } : { code, message };
}
