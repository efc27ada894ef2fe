// What a file offer says, in clear or end to end. A file to a user (always) or to a secret room
// travels sealed: the offer carries a signed file envelope (kind 0x02) whose plaintext is the
// file's metadata (this module's JSON) and whose content key seals the chunks. The receiver reads
// an offer here before it accepts anything: a sealed one is checked like a sealed message (sender,
// trusted key, signature, room or recipient, replay), and one that should have been sealed but
// came in clear is refused (E2E_REQUIRED), so a server cannot pass off a file of its own making.

import { z } from 'zod';
import { ParlorError } from '../../protocol/errors.ts';
import type { FileOfferedMessage } from '../../protocol/transfer-messages.ts';
import type { ChatClient } from '../chat-client.ts';

/** The metadata sealed into a file envelope; receivers ignore fields they do not know. */
export interface FileMetadata {
  name: string;
  size: number;
  sha256: string;
}

const metadataSchema = z.object({
  name: z.string().min(1).max(4096),
  size: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

export function encodeFileMetadata(metadata: FileMetadata): Buffer {
  return Buffer.from(JSON.stringify({ name: metadata.name, size: metadata.size, sha256: metadata.sha256 }), 'utf8');
}

/** An offer as the receiver may act on it: the name and hash it will check, from the envelope when sealed. */
export interface OfferDetails {
  transfer: number;
  from: string;
  to?: string | undefined;
  room?: string | undefined;
  name: string;
  size: number;
  sha256: string;
  /** For an end-to-end offer: what its chunks are sealed with, and who signed it. */
  sealing?: { contentKey: Buffer; fileId: Buffer; fingerprint: string };
}

/** Whether a file to this target must travel sealed: to a user always, to a room when it is secret. */
export function mustSeal(chat: ChatClient, target: { to?: string | undefined; room?: string | undefined }): boolean {
  return target.to !== undefined || (target.room !== undefined && chat.isSecretRoom(target.room));
}

/** Reads an offer; throws the E2E_ code that refuses it. */
export function readOffer(chat: ChatClient, offer: FileOfferedMessage): OfferDetails {
  const base = { transfer: offer.transfer, from: offer.from, to: offer.to, room: offer.room, size: offer.size };
  if (offer.sealed === undefined) {
    if (mustSeal(chat, offer)) {
      throw new ParlorError('E2E_REQUIRED', `a file ${offer.to !== undefined ? 'sent to you' : `in the secret room #${offer.room}`} came in clear: it must be sealed end to end`);
    }
    if (offer.name === undefined || offer.sha256 === undefined) throw new ParlorError('BAD_MESSAGE', 'a file offer with neither a name nor a seal');
    return { ...base, name: offer.name, sha256: offer.sha256 };
  }
  const opened = chat.openFileOffer({ from: offer.from, room: offer.room, to: offer.to, sealed: offer.sealed });
  let metadata: FileMetadata;
  try {
    metadata = metadataSchema.parse(JSON.parse(opened.metadata.toString('utf8')));
  } catch (cause) {
    throw new ParlorError('E2E_MALFORMED', "a sealed file's metadata is not what this client reads", { cause });
  }
  // The size is in clear for the server's flow control; the sealed one is the sender's word.
  if (metadata.size !== offer.size) {
    throw new ParlorError('E2E_OFFER_MISMATCH', `the offer says ${offer.size} bytes, the sender sealed ${metadata.size}`);
  }
  return {
    ...base,
    name: metadata.name,
    sha256: metadata.sha256,
    sealing: { contentKey: opened.contentKey, fileId: opened.fileId, fingerprint: opened.fingerprint },
  };
}
