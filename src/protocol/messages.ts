// The JSON messages carried inside sealed frames. Types come from these schemas (z.infer), so the
// wire format and the code cannot drift. docs/protocol.md lists them with examples.

import { z } from 'zod';
import { transferEventSchemas, transferReplySchemas, transferRequestSchemas } from './transfer-messages.ts';

/**
 * A code in what the server sends: any code-shaped string, since a newer server may have codes
 * this client does not know (they are kept raw: ParlorError.fromPeer), and dropping its error
 * would leave the request hanging until TIMEOUT.
 */
/** What an error code from a peer may look like (transport/secure-connection.ts checks a closing's by hand). */
export const PEER_CODE_PATTERN = /^[A-Z][A-Z0-9_]{0,63}$/;
const peerCode = z.string().regex(PEER_CODE_PATTERN, 'an error code');

/** Names and rooms are checked for what they may contain by the server (src/server/names.ts). */
const name = z.string().min(1).max(64);
const room = z.string().min(1).max(64);
const password = z.string().min(1).max(256);
/** Text is capped by the server in bytes (maxMessageBytes); this bound only keeps parsing cheap. */
const text = z.string().min(1).max(65_536);
const messageId = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const limit = z.number().int().min(1).max(500);
/**
 * A client's own key for one message (16–32 URL-safe base64 characters, random): sent again with
 * the same nonce after a dropped connection, the message is stored once and acknowledged again.
 */
const nonce = z.string().regex(/^[A-Za-z0-9_-]{16,32}$/, 'a nonce is 16 to 32 characters of URL-safe base64');

// --- End-to-end (issue 9): sealed envelopes and the identity keys to seal them to -------------
/**
 * A sealed envelope, base64 (docs/protocol.md section 8). The server stores and relays it without
 * reading it; the bound is a 1,024-recipient envelope with a 4 KiB message.
 */
const sealed = z
  .string()
  .min(8)
  .max(400_000)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64');
/** A client's RSA identity key as the server saw it in the handshake: integers in base64. */
export const identityKey = z.object({
  fingerprint: z.string(),
  exponent: z.string(),
  modulus: z.string(),
  /** The key's holder is connected over ssh: the server holds the key and reads what is sealed to it. */
  via: z.literal('ssh').optional(),
});
export const peerKey = identityKey.extend({ name: z.string() });
export type IdentityKey = z.infer<typeof identityKey>;
export type PeerKey = z.infer<typeof peerKey>;

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
  login: request('login', {
    name,
    password,
    directSince: messageId.optional(),
    /** Close this identity's other sessions (SESSION_REPLACED) instead of adding one more. */
    replace: z.boolean().optional(),
    /** After a reconnect: the `session` the previous login got, replaced if the server still holds it. */
    resume: z.string().regex(/^[A-Za-z0-9_-]{16,32}$/).optional(),
  }),
  join: request('join', { room, password: password.optional(), since: messageId.optional() }),
  create: request('create', { room, password: password.optional(), secret: z.boolean().optional() }),
  leave: request('leave', { room }),
  rooms: request('rooms', {}),
  members: request('members', { room }),
  say: request('say', { room, text, nonce: nonce.optional() }),
  dm: request('dm', { to: name, text, nonce: nonce.optional() }),
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
  // The bot and the operator.
  command: request('command', { text: z.string().min(2).max(4096), room: room.optional() }),
  op: request('op', { password }),
  // End-to-end.
  e2e_say: request('e2e_say', { room, sealed, nonce: nonce.optional() }),
  e2e_dm: request('e2e_dm', { to: name, sealed, nonce: nonce.optional() }),
  keys: request('keys', { names: z.array(name).min(1).max(100).optional(), room: room.optional() }),
  whois: request('whois', { name }),
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
  /** End-to-end: the envelope, and `text` is empty; the client opens it. */
  sealed: sealed.optional(),
  /**
   * The party of this message (its sender, or a DM's recipient) who is connected over ssh: the
   * server reads what such a user says and receives, so the message is not end-to-end.
   */
  sshUser: z.string().optional(),
});
export type ChatMessage = z.infer<typeof chatMessage>;

/**
 * What the bot answers a command with, to the caller alone. An image travels as base64 (the
 * re-encoded picture is capped at 1 MiB); a link is for the client to open.
 */
export const botReply = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('text'), text: z.string() }),
  z.object({
    kind: z.literal('image'),
    name: z.string(),
    mime: z.string(),
    data: z.base64(),
    width: z.number().int().positive().optional(),
    height: z.number().int().positive().optional(),
  }),
  z.object({ kind: z.literal('link'), url: z.url({ protocol: /^https?$/ }), text: z.string().optional() }),
]);
export type BotReply = z.infer<typeof botReply>;
const joinReply = z.object({
  room: z.string(),
  members: z.array(z.string()),
  history: z.array(chatMessage),
  more: z.boolean(),
  hasPassword: z.boolean(),
  // End-to-end: a secret room says so, and gives its members' keys to seal to.
  secret: z.boolean().optional(),
  keys: z.array(peerKey).optional(),
});

/** What replies carry, by request type: the client library parses each reply with these. */
export const replySchemas = {
  ping: z.object({ payload: z.string().optional() }),
  login: z.object({
    name: z.string(),
    fingerprint: z.string(),
    direct: z.array(chatMessage),
    directMore: z.boolean(),
    /** This session's token, for `resume` after a reconnect (absent from older servers). */
    session: z.string().optional(),
    /** The name was released by an operator (`!release`) since its last login: who, and when. */
    released: z.object({ by: z.string(), at: z.number() }).optional(),
  }),
  join: joinReply,
  create: joinReply,
  leave: z.object({ room: z.string() }),
  rooms: z.object({ rooms: z.array(z.object({ name: z.string(), members: z.number(), hasPassword: z.boolean(), secret: z.boolean() })) }),
  members: z.object({ room: z.string(), members: z.array(z.object({ name: z.string(), lastMessageAt: z.number().nullable(), server: z.string().optional() })) }),
  say: z.object({ id: messageId, ts: z.number() }),
  dm: z.object({ id: messageId, ts: z.number(), to: z.string() }),
  history: z.object({ messages: z.array(chatMessage), more: z.boolean() }),
  users: z.object({ users: z.array(z.object({ name: z.string(), lastMessageAt: z.number().nullable(), rooms: z.array(z.string()), server: z.string().optional() })) }),
  allusers: z.object({
    users: z.array(z.object({ name: z.string(), lastSeen: z.number(), lastMessageAt: z.number().nullable(), online: z.boolean() })),
  }),
  whoami: z.object({ name: z.string(), fingerprint: z.string(), rooms: z.array(z.string()), address: z.string() }),
  block: z.object({ name: z.string() }),
  unblock: z.object({ name: z.string() }),
  blocked: z.object({ names: z.array(z.string()) }),
  command: z.object({ command: z.string(), reply: botReply }),
  op: z.object({ operator: z.literal(true) }),
  // End-to-end.
  e2e_say: z.object({ id: messageId, ts: z.number() }),
  e2e_dm: z.object({ id: messageId, ts: z.number(), to: z.string() }),
  keys: z.object({ keys: z.array(peerKey) }),
  whois: peerKey.extend({ online: z.boolean(), lastSeen: z.number() }),
  // File transfer (transfer-messages.ts).
  ...transferReplySchemas,
} satisfies { [T in RequestType]: z.ZodType };

export type Reply<T extends RequestType> = z.infer<(typeof replySchemas)[T]>;

/** What the server sends: replies, errors and events. */
export const replyMessage = z.object({ type: z.literal('reply'), re: z.number().int(), data: z.unknown().optional() });
export const errorMessage = z.object({
  type: z.literal('error'),
  re: z.number().int().optional(),
  code: peerCode,
  message: z.string(),
  retryAfterMs: z.number().optional(),
});
export const welcomeMessage = z.object({
  type: z.literal('welcome'),
  server: z.object({ name: z.string(), version: z.string(), fingerprint: z.string() }),
  /** The client's own identity fingerprint, as the server saw it: names are bound to it. */
  you: z.object({ fingerprint: z.string() }),
  /**
   * A chat spread over several servers (one database): its id, and the other servers' addresses
   * (HOST:PORT), which present the same key: a client whose server goes away reconnects to one.
   */
  chat: z.object({ id: z.string(), name: z.string().optional(), servers: z.array(z.object({ name: z.string(), address: z.string() })) }).optional(),
});
/** Said just before the sender closes a connection, so the other side can tell the user why. */
export const closingMessage = z.object({ type: z.literal('closing'), code: peerCode, message: z.string() });
/** Presence in a room: someone joined or left (`reason` says why they left). */
export const joinedMessage = z.object({
  type: z.literal('joined'),
  room: z.string(),
  name: z.string(),
  /** End-to-end: in a secret room, the newcomer's key, so members seal to it from now on. */
  key: identityKey.optional(),
});
export const leftMessage = z.object({
  type: z.literal('left'),
  room: z.string(),
  name: z.string(),
  reason: z.enum(['left', 'disconnected']),
  /** An operator's kick or ban ended the session (reason is then "disconnected"): who, and why. */
  moderation: z.object({ action: z.enum(['kicked', 'banned']), by: z.string(), reason: z.string() }).optional(),
});

/** An operator's notice to everyone online (`!announce`). */
export const announcementMessage = z.object({ type: z.literal('announcement'), from: z.string(), text: z.string(), ts: z.number() });

export const serverMessage = z.discriminatedUnion('type', [
  replyMessage,
  errorMessage,
  welcomeMessage,
  closingMessage,
  chatMessage,
  joinedMessage,
  leftMessage,
  announcementMessage,
  // File transfer (transfer-messages.ts).
  ...transferEventSchemas,
]);

export type ReplyMessage = z.infer<typeof replyMessage>;
export type ErrorMessage = z.infer<typeof errorMessage>;
export type WelcomeMessage = z.infer<typeof welcomeMessage>;
export type ClosingMessage = z.infer<typeof closingMessage>;
export type JoinedMessage = z.infer<typeof joinedMessage>;
export type LeftMessage = z.infer<typeof leftMessage>;
export type AnnouncementMessage = z.infer<typeof announcementMessage>;
export type ServerMessage = z.infer<typeof serverMessage>;
