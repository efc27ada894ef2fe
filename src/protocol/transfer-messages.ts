// The JSON messages of a file transfer: requests (offer, accept, decline, cancel, done), their
// replies, and the events the server sends. The bytes themselves travel in binary records
// (transfer-records.ts). messages.ts adds these to its tables; docs/protocol.md describes them.

import { z } from 'zod';

// Kept apart from messages.ts's own helpers: that module imports this one.
const envelope = z.object({ id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), type: z.string().min(1).max(64) });
const request = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) => envelope.extend({ type: z.literal(type), ...shape });

/** Transfer ids are chosen by the server: 1 to 2^32 - 1, the width of the binary records' field. */
export const transferId = z.number().int().min(1).max(0xffff_ffff);
const fileSize = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 is 64 lower-case hex digits');
/** A file name as the sender gave it: receivers make it safe before using it (safe-file-name.ts). */
const fileName = z.string().min(1).max(4096);
const detail = z.string().max(500);
/**
 * An end-to-end file envelope, base64 (docs/protocol.md 8.4): it carries the name and SHA-256
 * sealed, so an end-to-end offer has neither in clear. The same bound as a sealed message
 * (messages.ts, which imports this module, so the rule is repeated here).
 */
const sealedFile = z
  .string()
  .min(8)
  .max(400_000)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
/** Codes a receiver may give when it refuses a file: its own choice, or a verdict on a sealed one. */
const refusalCodes = ['E2E_REQUIRED', 'E2E_MALFORMED', 'E2E_BAD_SIGNATURE', 'E2E_SENDER_MISMATCH', 'E2E_WRONG_CONTEXT', 'E2E_REPLAYED', 'E2E_DECRYPT_FAILED', 'E2E_PEER_KEY_CHANGED', 'E2E_OFFER_MISMATCH'] as const;

export const transferRequestSchemas = {
  /** Exactly one of `to` and `room`; `name` and `sha256` in clear, or `sealed` (end to end) instead. */
  file_offer: request('file_offer', {
    to: z.string().min(1).max(64).optional(),
    room: z.string().min(1).max(64).optional(),
    name: fileName.optional(),
    size: fileSize,
    sha256: sha256.optional(),
    sealed: sealedFile.optional(),
  })
    .refine((offer) => (offer.to === undefined) !== (offer.room === undefined), 'give exactly one of to and room')
    .refine(
      (offer) => (offer.sealed === undefined ? offer.name !== undefined && offer.sha256 !== undefined : offer.name === undefined && offer.sha256 === undefined),
      'give name and sha256, or sealed (not both)',
    ),
  file_accept: request('file_accept', { transfer: transferId }),
  file_decline: request('file_decline', {
    transfer: transferId,
    code: z.enum(['TRANSFER_DECLINED', 'TRANSFER_TOO_LARGE', 'TOO_MANY_TRANSFERS', ...refusalCodes]).optional(),
    message: detail.optional(),
  }),
  file_cancel: request('file_cancel', {
    transfer: transferId,
    code: z.enum(['TRANSFER_CANCELLED', 'TRANSFER_CORRUPT', 'TRANSFER_DECLINED', 'E2E_CHUNK_REJECTED']).optional(),
    message: detail.optional(),
  }),
  file_done: request('file_done', { transfer: transferId }),
} as const;

const transferReply = z.object({ transfer: transferId });

export const transferReplySchemas = {
  file_offer: z.object({
    transfer: transferId,
    /** Who was offered the file: the user, or the room's members who may receive it. */
    recipients: z.array(z.string()),
    /** The most file bytes a chunk may carry on this server. */
    chunkBytes: z.number().int().positive(),
  }),
  file_accept: transferReply,
  file_decline: transferReply,
  file_cancel: transferReply,
  file_done: transferReply,
} as const;

/** To a recipient: someone offers a file. Answer with file_accept or file_decline. */
export const fileOfferedMessage = z.object({
  type: z.literal('file_offered'),
  transfer: transferId,
  from: z.string(),
  to: z.string().optional(),
  room: z.string().optional(),
  /** In clear for a plaintext offer; absent for an end-to-end one, whose `sealed` carries them. */
  name: z.string().optional(),
  size: fileSize,
  sha256: z.string().optional(),
  sealed: z.string().optional(),
});

/** To the sender: where one recipient stands. */
export const fileStatusMessage = z.object({
  type: z.literal('file_status'),
  transfer: transferId,
  name: z.string(),
  status: z.enum(['accepted', 'declined', 'received', 'failed']),
  code: z.string().optional(),
  message: z.string().optional(),
});

/** The transfer ended for you before it completed: cancelled by the other side, or dropped. */
export const fileCancelledMessage = z.object({
  type: z.literal('file_cancelled'),
  transfer: transferId,
  code: z.string(),
  message: z.string(),
});

export const transferEventSchemas = [fileOfferedMessage, fileStatusMessage, fileCancelledMessage] as const;

export type FileOfferedMessage = z.infer<typeof fileOfferedMessage>;
export type FileStatusMessage = z.infer<typeof fileStatusMessage>;
export type FileCancelledMessage = z.infer<typeof fileCancelledMessage>;
export type TransferEvent = FileOfferedMessage | FileStatusMessage | FileCancelledMessage;

const TRANSFER_EVENT_TYPES: ReadonlySet<string> = new Set(['file_offered', 'file_status', 'file_cancelled']);

export function isTransferEvent(message: { type: string }): message is TransferEvent {
  return TRANSFER_EVENT_TYPES.has(message.type);
}
