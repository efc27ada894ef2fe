// The server's side of the handshake as a state machine over bytes: frames in, frames out, keys at
// the end. It never touches a socket; src/transport drives it.

import { constants, diffieHellman, publicEncrypt, randomBytes, sign, timingSafeEqual } from 'node:crypto';
import { PROTOCOL_VERSION, SESSION_SECRET_BYTES, X25519_KEY_BYTES } from '../protocol/constants.ts';
import { ParlorError } from '../protocol/errors.ts';
import {
  decodeClientFinished,
  decodeClientHello,
  encodeServerHelloBody,
  type ClientHello,
} from '../protocol/handshake-messages.ts';
import { importClientKey } from './client-key-cache.ts';
import type { ServerIdentity } from './identity.ts';
import { deriveSessionKeys, finishedMac, signedContent, transcriptHash, type SessionKeys } from './key-schedule.ts';
import { importX25519Public, x25519FromRandom } from './raw-keys.ts';

/**
 * The client's RSA identity key, which it proved it holds. Kept as its two integers, not as a
 * KeyObject: a server holds one per session for hours, and the integers are what end-to-end
 * encryption will hand to other clients.
 */
export interface AuthenticatedClient {
  exponent: Buffer;
  modulus: Buffer;
  fingerprint: string;
}

export interface ServerHandshakeResult {
  keys: SessionKeys;
  client: AuthenticatedClient;
}

type State =
  | { step: 'awaiting-hello' }
  | { step: 'awaiting-finished'; expectedMac: Buffer; keys: SessionKeys; client: AuthenticatedClient }
  | { step: 'done' }
  | { step: 'failed' };

export class ServerHandshake {
  private state: State = { step: 'awaiting-hello' };

  constructor(
    private readonly identity: ServerIdentity,
    private readonly serverName: string,
  ) {}

  /**
   * Takes the next handshake frame. Returns the frame to send back (after the ClientHello) or the
   * session keys (after the ClientFinished). Throws a ParlorError on anything wrong, after which
   * the handshake is dead.
   */
  receive(payload: Buffer): { reply: Buffer } | { result: ServerHandshakeResult } {
    try {
      return this.step(payload);
    } catch (error) {
      this.state = { step: 'failed' };
      throw error;
    }
  }

  private step(payload: Buffer): { reply: Buffer } | { result: ServerHandshakeResult } {
    switch (this.state.step) {
      case 'awaiting-hello': {
        const { reply, ...next } = this.answerHello(payload);
        this.state = { step: 'awaiting-finished', ...next };
        return { reply };
      }
      case 'awaiting-finished': {
        const { expectedMac, keys, client } = this.state;
        const mac = decodeClientFinished(payload);
        if (!timingSafeEqual(mac, expectedMac)) throw new ParlorError('KEY_CONFIRMATION_FAILED');
        this.state = { step: 'done' };
        return { result: { keys, client } };
      }
      default:
        throw new ParlorError('BAD_HANDSHAKE', 'the handshake is already over');
    }
  }

  private answerHello(payload: Buffer): {
    reply: Buffer;
    expectedMac: Buffer;
    keys: SessionKeys;
    client: AuthenticatedClient;
  } {
    const hello: ClientHello = decodeClientHello(payload);
    const { key: clientKey, fingerprint, exponent, modulus } = importClientKey({ exponent: hello.rsaExponent, modulus: hello.rsaModulus });
    const clientEphemeral = importX25519Public(hello.ephemeralKey);

    // One CSPRNG call for both fresh values: the session secret, then the ephemeral private key.
    const random = randomBytes(SESSION_SECRET_BYTES + X25519_KEY_BYTES);
    const secret = random.subarray(0, SESSION_SECRET_BYTES);
    const wrappedSecret = publicEncrypt(
      { key: clientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      secret,
    );
    const ephemeral = x25519FromRandom(random.subarray(SESSION_SECRET_BYTES));
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: clientEphemeral });
    } catch (cause) {
      // OpenSSL refuses low-order points (an all-zero shared secret): a hostile or broken client.
      throw new ParlorError('BAD_HANDSHAKE', 'the X25519 exchange failed', { cause });
    }

    const body = encodeServerHelloBody({
      version: PROTOCOL_VERSION,
      identityKey: this.identity.publicRaw,
      ephemeralKey: ephemeral.publicRaw,
      wrappedSecret,
      serverName: this.serverName,
    });
    const signature = sign(null, signedContent(transcriptHash(payload, body)), this.identity.privateKey);
    const reply = Buffer.concat([body, signature]);
    const th2 = transcriptHash(payload, reply);
    const keys = deriveSessionKeys(secret, shared, th2);
    return {
      reply,
      keys,
      expectedMac: finishedMac(keys.finished, th2),
      // The cache's own copies: the hello's fields are views into the network buffer.
      client: { exponent, modulus, fingerprint },
    };
  }
}
