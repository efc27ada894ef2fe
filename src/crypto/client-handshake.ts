// The client's side of the handshake as a state machine over bytes. Whether to trust the server's
// key is not decided here: the caller passes a check (known_servers, a pinned fingerprint), which
// throws to refuse, so this module knows nothing of files.

import { constants, diffieHellman, privateDecrypt, verify, type KeyObject } from 'node:crypto';
import { PROTOCOL_VERSION, SESSION_SECRET_BYTES } from '../protocol/constants.ts';
import { ParlorError } from '../protocol/errors.ts';
import {
  decodeHandshakeError,
  decodeServerHello,
  encodeClientFinished,
  encodeClientHello,
  handshakeType,
  HandshakeType,
} from '../protocol/handshake-messages.ts';
import { ed25519Fingerprint } from './fingerprint.ts';
import type { ClientIdentity } from './identity.ts';
import { deriveSessionKeys, finishedMac, signedContent, transcriptHash, type SessionKeys } from './key-schedule.ts';
import { generateX25519, importEd25519Public, importX25519Public, type X25519KeyPair } from './raw-keys.ts';

export interface PresentedServer {
  fingerprint: string;
  name: string;
}

/** Throws (SERVER_KEY_CHANGED, FINGERPRINT_MISMATCH) to refuse a server; returns to accept it. */
export type ServerKeyCheck = (server: PresentedServer) => void;

export interface ClientHandshakeResult {
  keys: SessionKeys;
  server: PresentedServer;
}

/**
 * The last server identity key imported, with its fingerprint: a client reconnects to the same
 * server over and over (and after a restart, all of them at once), so the key's import and its
 * hash are done once. Only the long-term key: the signature is still verified every handshake.
 */
let lastServerKey: { raw: Buffer; key: KeyObject; fingerprint: string } | undefined;

function serverIdentityKey(raw: Buffer): { key: KeyObject; fingerprint: string } {
  if (lastServerKey?.raw.equals(raw)) return lastServerKey;
  const key = importEd25519Public(raw);
  lastServerKey = { raw: Buffer.from(raw), key, fingerprint: ed25519Fingerprint(raw) };
  return lastServerKey;
}

export class ClientHandshake {
  private readonly ephemeral: X25519KeyPair = generateX25519();
  private hello: Buffer | undefined;
  private finished = false;

  constructor(
    private readonly identity: ClientIdentity,
    private readonly checkServerKey: ServerKeyCheck,
    private readonly version: number = PROTOCOL_VERSION,
  ) {}

  /** The ClientHello to send first. */
  start(): Buffer {
    this.hello = encodeClientHello({
      version: this.version,
      ephemeralKey: this.ephemeral.publicRaw,
      rsaExponent: this.identity.exponent,
      rsaModulus: this.identity.modulus,
    });
    return this.hello;
  }

  /** Takes the server's answer: returns the ClientFinished to send and the session keys. */
  receive(payload: Buffer): { reply: Buffer; result: ClientHandshakeResult } {
    if (!this.hello || this.finished) throw new ParlorError('BAD_HANDSHAKE', 'an unexpected handshake message');
    this.finished = true;
    if (handshakeType(payload) === HandshakeType.Error) {
      const error = decodeHandshakeError(payload);
      throw new ParlorError(error.code, `the server refused the handshake: ${error.message}`);
    }
    const { hello, body } = decodeServerHello(payload);
    if (hello.version !== this.version) {
      throw new ParlorError('UNSUPPORTED_VERSION', `the server answered with protocol version ${hello.version}`);
    }
    const serverKey = serverIdentityKey(hello.identityKey);
    const th1 = transcriptHash(this.hello, body);
    if (!verify(null, signedContent(th1), serverKey.key, hello.signature)) {
      throw new ParlorError('BAD_SIGNATURE', "the server's handshake signature does not verify: someone is tampering with the connection");
    }
    const server = { fingerprint: serverKey.fingerprint, name: hello.serverName };
    this.checkServerKey(server);

    let secret: Buffer;
    try {
      secret = privateDecrypt(
        { key: this.identity.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
        hello.wrappedSecret,
      );
    } catch (cause) {
      throw new ParlorError('BAD_HANDSHAKE', 'the wrapped session secret does not decrypt with this identity', { cause });
    }
    if (secret.length !== SESSION_SECRET_BYTES) throw new ParlorError('BAD_HANDSHAKE', 'a session secret of the wrong size');
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: this.ephemeral.privateKey, publicKey: importX25519Public(hello.ephemeralKey) });
    } catch (cause) {
      throw new ParlorError('BAD_HANDSHAKE', 'the X25519 exchange failed', { cause });
    }
    const th2 = transcriptHash(this.hello, payload);
    const keys = deriveSessionKeys(secret, shared, th2);
    return { reply: encodeClientFinished(finishedMac(keys.finished, th2)), result: { keys, server } };
  }
}
