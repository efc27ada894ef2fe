// The client's end of end-to-end encryption: sealing a room message or a DM to the right keys,
// and opening what arrives with every check a hostile server could try to slip past. Each way a
// message can be wrong has its own code (src/protocol/errors.ts, the End-to-end block); a message
// that fails is still delivered, marked rejected with its code and without text, so that the UI
// can say so in place. SealedChat (sealed-chat.ts) calls this; it knows nothing of sockets.

import { randomBytes } from 'node:crypto';
import {
  decodeEnvelope,
  decryptEnvelope,
  newMessageId,
  openEnvelope,
  sealEnvelope,
  unwrapContentKey,
  verifyEnvelope,
  type Envelope,
  type EnvelopeKind,
  type EnvelopeScope,
  type RecipientKey,
} from '../../crypto/e2e-envelope.ts';
import type { ClientIdentity } from '../../crypto/identity.ts';
import { isErrorCode, ParlorError, type ErrorCode } from '../../protocol/errors.ts';
import type { ChatMessage } from '../../protocol/messages.ts';
import { foldName } from '../../protocol/names.ts';
import type { PeerKeys } from './peer-keys.ts';
import type { SeenEnvelopes } from './seen-envelopes.ts';

/** When it was sealed, by the sender's signed clock, and whether the server's time disagrees. */
export interface SignedTime {
  /** The sender's clock, signed inside the envelope (ms); null for an old (version 1) envelope. */
  sentAt?: number | null;
  /** The server's `ts` and `sentAt` differ by more than E2E_TIME_TOLERANCE_MS: re-dated, or a wrong clock. */
  timeMismatch?: boolean;
}

/** How a message fared end to end. Every delivered message has one: plaintext ones say `none`. */
export type E2eStatus =
  /**
   * Not sealed: the server could read it, and could have written it. `sshUser`: the party who is
   * connected over ssh (the server reads all they say and receive), when that is why.
   */
  | { state: 'none'; sshUser?: string }
  /** Opened, and signed by `fingerprint`, the key trusted for its sender. */
  | ({ state: 'verified'; fingerprint: string } & SignedTime)
  /** Genuine, but not sealed to this client: it joined the room after the message was sent. */
  | ({ state: 'not-sealed-to-you'; fingerprint: string } & SignedTime)
  /** Refused: `code` says which check failed. The text is empty. */
  | { state: 'rejected'; code: ErrorCode; reason: string };

/** A chat message as ChatClient delivers it: the plaintext in `text`, and how it fared end to end. */
export type DeliveredMessage = ChatMessage & { e2e?: E2eStatus };

/** The end-to-end state of a message, `none` for one never opened (plaintext). */
export function e2eOf(message: DeliveredMessage): E2eStatus {
  return message.e2e ?? { state: 'none' };
}

/**
 * How far the server's timestamp may be from the sender's signed one before it is flagged: a
 * message held by a reconnecting sender is stored late, by up to its reconnect backoff.
 */
export const E2E_TIME_TOLERANCE_MS = 5 * 60_000;

/** A file offer sealed by this client: the envelope, and the key and id its chunks are sealed with. */
export interface SealedFile {
  sealed: string;
  contentKey: Buffer;
  fileId: Buffer;
}

/** A file offer opened: its metadata (still to be parsed), its chunks' key and id, and its signer. */
export interface OpenedFile {
  metadata: Buffer;
  contentKey: Buffer;
  fileId: Buffer;
  fingerprint: string;
}

/** The longest plaintext a client seals: the server's default cap, which it cannot check itself. */
export const MAX_SEALED_TEXT_BYTES = 4096;
/** File ids remembered to catch replayed offers; the oldest are forgotten past this. */
const SEEN_LIMIT = 100_000;

export class E2eSession {
  /** File ids (hex) of offers opened: a file offer is never stored, so any repeat is a replay. */
  private readonly seenFiles = new Set<string>();

  constructor(
    private readonly identity: ClientIdentity,
    private readonly peers: PeerKeys,
    /** This client's name as the server confirmed it. */
    private readonly me: () => string,
    /** The envelopes opened before, kept across runs (seen-envelopes.ts). */
    private readonly seen: SeenEnvelopes,
  ) {}

  /** Seals text for a room or a user; `recipients` need not include this client. */
  seal(scope: EnvelopeScope, target: string, text: string, recipients: readonly RecipientKey[]): { sealed: string; messageId: string } {
    const plaintext = Buffer.from(text, 'utf8');
    if (plaintext.length > MAX_SEALED_TEXT_BYTES) {
      throw new ParlorError('MESSAGE_TOO_LONG', `a sealed message is at most ${MAX_SEALED_TEXT_BYTES} bytes; this one is ${plaintext.length}`);
    }
    const envelope = sealEnvelope({
      identity: this.identity,
      scope,
      target: foldName(target.replace(/^#/, '')),
      sender: foldName(this.me()),
      plaintext,
      recipients,
    });
    return { sealed: envelope.toString('base64'), messageId: envelope.subarray(6, 22).toString('hex') };
  }

  /** Notes that the server stored our own message under `id` (so its history copy is no replay). */
  sent(messageId: string, id: number): void {
    this.seen.remember(messageId, id);
  }

  /** Opens a message if it is sealed; a plaintext one is marked `none`. Never throws. */
  open(message: DeliveredMessage): DeliveredMessage {
    if (message.e2e !== undefined) return message;
    if (message.sealed === undefined) return { ...message, e2e: { state: 'none', ...(message.sshUser !== undefined && { sshUser: message.sshUser }) } };
    try {
      return this.check(message);
    } catch (error) {
      const reason = error instanceof ParlorError ? error : new ParlorError('E2E_MALFORMED', 'a sealed message could not be read', { cause: error });
      const code = isErrorCode(reason.code) && reason.code.startsWith('E2E_') ? reason.code : 'E2E_MALFORMED';
      return { ...message, text: '', e2e: { state: 'rejected', code, reason: reason.message } };
    }
  }

  private check(message: ChatMessage): DeliveredMessage {
    const envelope = this.verify(message.sealed!, message, 'message');
    const id = envelope.messageId.toString('hex');
    const first = this.seen.firstElsewhere(id, message.id);
    if (first !== undefined) {
      throw new ParlorError('E2E_REPLAYED', `message ${message.id} repeats a message first seen as ${first.replace(' ', ' message ')}`);
    }
    const plaintext = openEnvelope(envelope, this.identity);
    this.seen.remember(id, message.id);
    const time: SignedTime = {
      sentAt: envelope.sentAt ?? null,
      timeMismatch: envelope.sentAt !== undefined && Math.abs(message.ts - envelope.sentAt) > E2E_TIME_TOLERANCE_MS,
    };
    if (!plaintext) return { ...message, text: '', e2e: { state: 'not-sealed-to-you', fingerprint: envelope.senderFingerprint, ...time } };
    return { ...message, text: plaintext.toString('utf8'), e2e: { state: 'verified', fingerprint: envelope.senderFingerprint, ...time } };
  }

  // --- files (a transfer's offer: its metadata sealed, and the key its chunks use) ---------------

  /**
   * Seals a file's metadata under a fresh per-transfer content key, wrapped to the recipients and
   * this client, signed, and bound to the room or recipient and a fresh file id. The content key
   * and file id are what the transfer's chunks are sealed with (src/crypto/file-chunks.ts).
   */
  sealFile(scope: EnvelopeScope, target: string, metadata: Buffer, recipients: readonly RecipientKey[]): SealedFile {
    const contentKey = randomBytes(32);
    const fileId = newMessageId();
    const envelope = sealEnvelope({
      identity: this.identity,
      kind: 'file',
      messageId: fileId,
      contentKey,
      scope,
      target: foldName(target.replace(/^#/, '')),
      sender: foldName(this.me()),
      plaintext: metadata,
      recipients,
    });
    return { sealed: envelope.toString('base64'), contentKey, fileId };
  }

  /**
   * Opens a file offer with the same checks as a message (sender, trusted key, signature, room or
   * recipient), and a file id is accepted once only. Throws the E2E_ code of the first check that
   * fails: a changed sender key holds the file as it holds messages (E2E_PEER_KEY_CHANGED).
   */
  openFile(offer: { from: string; room?: string | undefined; to?: string | undefined; sealed: string }): OpenedFile {
    const envelope = this.verify(offer.sealed, offer, 'file');
    const id = envelope.messageId.toString('hex');
    if (this.seenFiles.has(id)) throw new ParlorError('E2E_REPLAYED', 'this file offer was delivered before');
    const contentKey = unwrapContentKey(envelope.wrappedKeys, this.identity);
    if (!contentKey) throw new ParlorError('E2E_DECRYPT_FAILED', `${offer.from} did not seal this file to your key`);
    const metadata = decryptEnvelope(envelope, contentKey);
    if (this.seenFiles.size >= SEEN_LIMIT) this.seenFiles.delete(this.seenFiles.values().next().value!);
    this.seenFiles.add(id);
    return { metadata, contentKey, fileId: envelope.messageId, fingerprint: envelope.senderFingerprint };
  }

  /**
   * Decodes a sealed envelope and checks it against where the server says it belongs: its kind,
   * its sender and that sender's trusted key, its signature, and its room or recipient.
   */
  private verify(sealed: string, where: { from: string; room?: string | undefined; to?: string | undefined }, kind: EnvelopeKind): Envelope {
    const envelope = decodeEnvelope(Buffer.from(sealed, 'base64'));
    if (envelope.kind !== kind) throw new ParlorError('E2E_WRONG_CONTEXT', `a sealed ${envelope.kind} where a ${kind} was expected`);
    const me = foldName(this.me());
    // The sender's key: the name in the envelope must be the name the server says sent it, and
    // that name's key must be the one trusted for it (our own, for our own messages).
    const from = foldName(where.from);
    if (envelope.sender !== from) {
      throw new ParlorError('E2E_SENDER_MISMATCH', `a message shown as from "${where.from}" was signed by "${envelope.sender}"`);
    }
    let senderKey;
    if (from === me) {
      if (envelope.senderFingerprint !== this.identity.fingerprint) {
        throw new ParlorError('E2E_SENDER_MISMATCH', 'a message in your name was signed by a key that is not yours');
      }
      senderKey = this.identity.publicKey;
    } else {
      senderKey = this.peers.trust(where.from, envelope.senderFingerprint, envelope.senderKey).key;
    }
    verifyEnvelope(envelope, senderKey);
    this.checkContext(where, envelope.scope, envelope.target, me);
    return envelope;
  }

  /** The room or recipient that was signed must be where the server says the message belongs. */
  private checkContext(message: { from: string; room?: string | undefined; to?: string | undefined }, scope: EnvelopeScope, target: string, me: string): void {
    if (message.room !== undefined) {
      if (scope === 'room' && target === foldName(message.room)) return;
      throw new ParlorError('E2E_WRONG_CONTEXT', `a message shown in #${message.room} was sealed for ${scope === 'room' ? `#${target}` : `a direct message to ${target}`}`);
    }
    const to = foldName(message.to ?? '');
    if (scope === 'direct' && target === to && (to === me || foldName(message.from) === me)) return;
    throw new ParlorError('E2E_WRONG_CONTEXT', `a direct message shown as to "${message.to}" was sealed for ${scope === 'room' ? `#${target}` : target}`);
  }
}
