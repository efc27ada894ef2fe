// The JSON messages carried inside sealed frames. Types come from these schemas (z.infer), so the
// wire format and the code cannot drift. docs/protocol.md lists them with examples.

import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from './errors.ts';
import { transferEventSchemas, transferReplySchemas, transferRequestSchemas } from './transfer-messages.ts';

const errorCode = z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]);

/** Names and rooms are checked for what they may contain by the server (src/server/names.ts). */
const name = z.string().min(1).max(64);
const room = z.string().min(1).max(64);
const password = z.string().min(1).max(256);
/** Text is capped by the server in bytes (maxMessageBytes); this bound only keeps parsing cheap. */
const text = z.string().min(1).max(65_536);
const messageId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const limit = z.number().int().min(1).max(500);

/** Every request: a client-chosen id that the reply echoes as `re`, and a type. */
export const requestEnvelope = z.object({
  id: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  type: z.string().min(1).max(64),
});

const request = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  requestEnvelope.extend({ type: z.literal(type), ...shape });

/** Requests by type. Each gets exactly one reply or error carrying its id. */
export const requestSchemas = {
  ping: request('ping', { payload: z.string().max(1024).optional() }),
  login: request('login', { name, password, directSince: messageId.optional() }),
  join: request('join', { room, password: password.optional(), since: messageId.optional() }),
  create: request('create', { room, password: password.optional() }),
  leave: request('leave', { room }),
  rooms: request('rooms', {}),
  members: request('members', { room }),
  say: request('say', { room, text }),
  dm: request('dm', { to: name, text }),
  history: request('history', {
    room: room.optional(),
    with: name.optional(),
    before: messageId.optional(),
    after: messageId.optional(),
    limit: limit.optional(),
  }),
  users: request('users', {}),
  allusers: request('allusers', {}),
  whoami: request('whoami', {}),
  block: request('block', { name }),
  unblock: request('unblock', { name }),
  blocked: request('blocked', {}),
  // File transfer (transfer-messages.ts).
  ...transferRequestSchemas,
} as const;

export type RequestType = keyof typeof requestSchemas;
export type Request<T extends RequestType = RequestType> = z.infer<(typeof requestSchemas)[T]>;

export function isRequestType(type: string): type is RequestType {
  return Object.hasOwn(requestSchemas, type);
}

/** A chat message as the server delivers it: to a room, or directly to one user. */
export const chatMessage = z.object({
  type: z.literal('message'),
  id: messageId,
  room: z.string().optional(),
  to: z.string().optional(),
  from: z.string(),
  text: z.string(),
  ts: z.number(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

/** What replies carry, by request type: the client library parses each reply with these. */
export const replySchemas = {
  ping: z.object({ payload: z.string().optional() }),
  login: z.object({ name: z.string(), fingerprint: z.string(), direct: z.array(chatMessage), directMore: z.boolean() }),
  join: z.object({ room: z.string(), members: z.array(z.string()), history: z.array(chatMessage), more: z.boolean(), hasPassword: z.boolean() }),
  create: z.object({ room: z.string(), members: z.array(z.string()), history: z.array(chatMessage), more: z.boolean(), hasPassword: z.boolean() }),
  leave: z.object({ room: z.string() }),
  rooms: z.object({ rooms: z.array(z.object({ name: z.string(), members: z.number(), hasPassword: z.boolean() })) }),
  members: z.object({ room: z.string(), members: z.array(z.object({ name: z.string(), lastMessageAt: z.number().nullable() })) }),
  say: z.object({ id: messageId, ts: z.number() }),
  dm: z.object({ id: messageId, ts: z.number(), to: z.string() }),
  history: z.object({ messages: z.array(chatMessage), more: z.boolean() }),
  users: z.object({ users: z.array(z.object({ name: z.string(), lastMessageAt: z.number().nullable(), rooms: z.array(z.string()) })) }),
  allusers: z.object({
    users: z.array(z.object({ name: z.string(), lastSeen: z.number(), lastMessageAt: z.number().nullable(), online: z.boolean() })),
  }),
  whoami: z.object({ name: z.string(), fingerprint: z.string(), rooms: z.array(z.string()), address: z.string() }),
  block: z.object({ name: z.string() }),
  unblock: z.object({ name: z.string() }),
  blocked: z.object({ names: z.array(z.string()) }),
  // File transfer (transfer-messages.ts).
  ...transferReplySchemas,
} satisfies { [T in RequestType]: z.ZodType };

export type Reply<T extends RequestType> = z.infer<(typeof replySchemas)[T]>;

/** What the server sends: replies, errors and events. */
export const replyMessage = z.object({ type: z.literal('reply'), re: z.number().int(), data: z.unknown().optional() });
export const errorMessage = z.object({
  type: z.literal('error'),
  re: z.number().int().optional(),
  code: errorCode,
  message: z.string(),
  retryAfterMs: z.number().optional(),
});
export const welcomeMessage = z.object({
  type: z.literal('welcome'),
  server: z.object({ name: z.string(), version: z.string(), fingerprint: z.string() }),
  /** The client's own identity fingerprint, as the server saw it: names are bound to it. */
  you: z.object({ fingerprint: z.string() }),
});
/** Said just before the sender closes a connection, so the other side can tell the user why. */
export const closingMessage = z.object({ type: z.literal('closing'), code: errorCode, message: z.string() });
/** Presence in a room: someone joined or left (`reason` says why they left). */
export const joinedMessage = z.object({ type: z.literal('joined'), room: z.string(), name: z.string() });
export const leftMessage = z.object({
  type: z.literal('left'),
  room: z.string(),
  name: z.string(),
  reason: z.enum(['left', 'disconnected']),
});

export const serverMessage = z.discriminatedUnion('type', [
  replyMessage,
  errorMessage,
  welcomeMessage,
  closingMessage,
  chatMessage,
  joinedMessage,
  leftMessage,
  // File transfer (transfer-messages.ts).
  ...transferEventSchemas,
]);

export type ReplyMessage = z.infer<typeof replyMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type WelcomeMessage = z.infer<typeof welcomeMessage>;
export type ClosingMessage = z.infer<typeof closingMessage>;
export type JoinedMessage = z.infer<typeof joinedMessage>;
export type LeftMessage = z.infer<typeof leftMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;
