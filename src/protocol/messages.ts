// The JSON messages carried inside sealed frames. Types come from these schemas (z.infer), so the
// wire format and the code cannot drift. docs/protocol.md lists them with examples.

import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors.ts';

const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** Every request: a client-chosen id that the reply echoes as `re`, and a type. */
export const requestEnvelope = z.object({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  type: z.string().min(1).max(64),
});

/** Requests by type. Each gets exactly one reply or error carrying its id. */
export const requestSchemas = {
  ping: requestEnvelope.extend({ type: z.literal('ping'), payload: z.string().max(1024).optional() }),
} as const;

export type RequestType = keyof typeof requestSchemas;
export type Request<T extends RequestType = RequestType> = z.infer<(typeof requestSchemas)[T]>;

export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(requestSchemas, type);
}

/** What the server sends: replies, errors and events. */
export const replyMessage = z.object({ type: z.literal('reply'), re: z.number().int(), data: z.unknown().optional() });
export const errorMessage = z.object({
  type: z.literal('error'),
  re: z.number().int().optional(),
  code: errorCode,
  message: z.string(),
});
export const welcomeMessage = z.object({
  type: z.literal('welcome'),
  server: z.object({ name: z.string(), version: z.string(), fingerprint: z.string() }),
  /** The client's own identity fingerprint, as the server saw it: names are bound to it. */
  you: z.object({ fingerprint: z.string() }),
});
/** Said just before the server closes a connection, so the client can tell the user why. */
export const closingMessage = z.object({ type: z.literal('closing'), code: errorCode, message: z.string() });

export const serverMessage = z.discriminatedUnion('type', [replyMessage, errorMessage, welcomeMessage, closingMessage]);

export type ReplyMessage = z.infer<typeof replyMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type WelcomeMessage = z.infer<typeof welcomeMessage>;
export type ClosingMessage = z.infer<typeof closingMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;
