// The one table of error codes. Codes are the stable contract: callers, scripts (stderr of the
// CLI) and tests match on them, never on the message text, which may be reworded.

export const ERROR_CODES = {
  // Framing and the sealed transport: all of these close the connection.
  FRAME_TOO_LARGE: 'a frame header announced more bytes than the cap for this stage allows',
  FRAME_MALFORMED: 'a frame was too short or badly formed to be read',
  FRAME_TRUNCATED: 'the connection ended in the middle of a frame',
  FRAME_AUTH_FAILED: 'a sealed frame failed authentication (altered, forged or wrong key)',
  FRAME_REPLAYED: 'a sealed frame carried a counter that was already used',
  FRAME_OUT_OF_ORDER: 'a sealed frame arrived ahead of its turn (one was dropped or reordered)',
  BAD_MESSAGE: 'a record inside a sealed frame could not be parsed',

  // The handshake.
  BAD_HANDSHAKE: 'a handshake message was malformed or out of place',
  UNSUPPORTED_VERSION: 'the peer speaks a protocol version that this side does not',
  HANDSHAKE_TIMEOUT: 'the handshake did not finish before its deadline',
  BAD_SIGNATURE: "the server's signature over the handshake did not verify",
  KEY_CONFIRMATION_FAILED: 'the client did not prove that it unwrapped the session secret',
  SERVER_KEY_CHANGED: 'the server presented a key other than the one trusted for it',
  FINGERPRINT_MISMATCH: 'the server presented a key other than the pinned fingerprint',

  // Requests.
  BAD_REQUEST: 'a request did not match its schema',
  UNKNOWN_TYPE: 'a request of a type the server does not know',

  // The chat.
  NOT_LOGGED_IN: 'log in first',
  ALREADY_LOGGED_IN: 'this connection is already logged in',
  BAD_PASSWORD: 'the password is wrong',
  PASSWORD_REQUIRED: 'that room has a password of its own: give it to join',
  NAME_INVALID: 'that name is not allowed',
  NAME_TAKEN: 'someone with that name is online now',
  NAME_RESERVED: 'that name belongs to another identity key',
  NAME_CONFUSABLE: 'that name looks like a name already in use',
  SESSION_REPLACED: 'the same identity logged in again elsewhere and asked to replace this session',
  TOO_MANY_SESSIONS: 'this identity holds as many sessions at once as the server allows',
  ROOM_INVALID: 'that room name is not allowed',
  ROOM_NOT_FOUND: 'there is no such room',
  ROOM_EXISTS: 'a room with that name exists already',
  TOO_MANY_ROOMS: 'the server, or this user, has created as many rooms as it allows',
  NOT_IN_ROOM: 'join the room first',
  USER_NOT_FOUND: 'there is no user of that name',
  BLOCKED: 'one of you has blocked the other',
  MESSAGE_TOO_LONG: 'the message is over the length cap',
  RATE_LIMITED: 'too many requests: slow down',
  SLOW_CONSUMER: 'the client fell too far behind in reading',
  TOO_MANY_CONNECTIONS: 'too many connections that have not logged in, from this address or in all',
  LOGIN_TIMEOUT: 'the connection did not log in before its deadline',

  // The bot (src/commands).
  UNKNOWN_COMMAND: 'there is no bot command of that name',
  COMMAND_DISABLED: 'that bot command is turned off on this server',
  NOT_OPERATOR: 'that needs an operator: log in as operator with the operator password first',
  COMMAND_COOLDOWN: 'that command was used a moment ago: wait a little',
  COMMAND_BUSY: 'too many of that command are running now: try again shortly',
  COMMAND_TIMEOUT: 'the command did not finish before its deadline',
  COMMAND_FAILED: 'the command failed',
  BAD_ARGUMENTS: 'the command was given arguments it cannot take',
  IMAGE_INVALID: 'the image could not be read or is too large to decode',
  UPSTREAM_FAILED: 'a web service the command asked did not answer as expected',
  BANNED: 'this identity key is banned from the server',
  KICKED: 'an operator disconnected this session',

  // End-to-end. The server reports E2E_REQUIRED; the others are the receiving client's verdict on
  // a sealed message (src/client/e2e/e2e.ts), one code per way a server or peer could tamper.
  E2E_REQUIRED: 'this room is secret: messages to it must be sealed end-to-end',
  E2E_MALFORMED: 'a sealed message could not be parsed',
  E2E_BAD_SIGNATURE: "a sealed message's signature did not verify (altered or forged)",
  E2E_SENDER_MISMATCH: 'a sealed message was signed by someone other than its claimed sender',
  E2E_WRONG_CONTEXT: 'a sealed message was signed for another room or recipient',
  E2E_REPLAYED: 'a sealed message was delivered again under another id',
  E2E_DECRYPT_FAILED: 'a sealed message could not be decrypted with the key wrapped to you',
  E2E_PEER_KEY_CHANGED: "a peer's identity key differs from the one trusted for that name",
  // End-to-end file transfer (src/client/transfers/file-offer.ts, incoming-transfer.ts): the receiving client's verdict on a sealed
  // offer or chunk.
  E2E_OFFER_MISMATCH: "a sealed file's metadata does not match the offer the server relayed (its size)",
  E2E_CHUNK_REJECTED: 'a sealed chunk of a file was altered, reordered, dropped, repeated, cut or taken from another transfer',
  // File transfer.
  TRANSFER_DECLINED: 'the receiver declined the file',
  TRANSFER_TOO_LARGE: 'the file is over the size limit',
  TRANSFER_CANCELLED: 'the transfer was cancelled',
  TRANSFER_CORRUPT: 'the received file did not match its announced size or SHA-256',
  TRANSFER_NOT_FOUND: 'there is no such transfer, or it is not yours to answer',
  TRANSFER_OVERRUN: 'the sender sent more than the receivers allowed (flow control)',
  TRANSFER_STALLED: 'a receiver made no progress for too long and was dropped from the transfer',
  TOO_MANY_TRANSFERS: 'too many file transfers at once for this user',
  USER_OFFLINE: 'that user is not online now',
  TRANSFER_OTHER_SERVER: 'that user is on another server of this chat: files go only between people on the same server',
  FILE_UNREADABLE: 'the file to send could not be read',

  // Configuration, checked at start.
  BAD_OPTION: 'an option has a value it cannot take',
  BAD_ADDRESS: 'a server address is not HOST:PORT',
  ADDRESS_IN_USE: 'the port to listen on is taken (another parlor, or another program)',
  NOT_A_TERMINAL: 'the terminal UI needs a terminal on stdin and stdout',
  DATABASE_UNAVAILABLE: 'the database that holds the chat cannot be reached now: try again shortly',

  // The connection as a whole.
  CONNECTION_FAILED: 'the server could not be reached',
  NOT_PARLOR: 'what answered at that address is not a parlor server',
  CONNECTION_CLOSED: 'the connection closed',
  TIMEOUT: 'no reply came in time',
  SERVER_SHUTDOWN: 'the server is stopping',
  INTERNAL: 'the server met an unexpected error',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * A code that a peer sent and this build does not know (a newer server's): kept as it came, so
 * that the user and scripts see the server's own word instead of a stand-in.
 */
export type UnknownCode = string & { readonly unknownCode: true };

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/**
 * What each code does to the connection it is told on, one line a code (the compiler asks for a
 * line when a code is added above). docs/protocol.md section 7 lists every code with its meaning
 * from ERROR_CODES and this; `npm run docs:errors` writes that table, and
 * tests/protocol/error-table.test.ts fails when the two differ.
 *   open            an `error` reply (or a code in a file-transfer event): the connection stays open
 *   closes          `closing` (or the handshake's Error), then the connection closes
 *   open-or-closes  either, in the cases docs/protocol.md section 7 names
 *   client          never sent by the server: a client's verdict on the server or a peer
 *   local           never on the wire: configuration, files, reaching the server
 */
export type ConnectionEffect = 'open' | 'closes' | 'open-or-closes' | 'client' | 'local';

export const ERROR_CONNECTION = {
  FRAME_TOO_LARGE: 'closes',
  FRAME_MALFORMED: 'closes',
  FRAME_TRUNCATED: 'closes',
  FRAME_AUTH_FAILED: 'closes',
  FRAME_REPLAYED: 'closes',
  FRAME_OUT_OF_ORDER: 'closes',
  BAD_MESSAGE: 'closes',
  BAD_HANDSHAKE: 'closes',
  UNSUPPORTED_VERSION: 'closes',
  HANDSHAKE_TIMEOUT: 'closes',
  BAD_SIGNATURE: 'client',
  KEY_CONFIRMATION_FAILED: 'closes',
  SERVER_KEY_CHANGED: 'client',
  FINGERPRINT_MISMATCH: 'client',
  BAD_REQUEST: 'open',
  UNKNOWN_TYPE: 'open',
  NOT_LOGGED_IN: 'open',
  ALREADY_LOGGED_IN: 'open',
  BAD_PASSWORD: 'open',
  NAME_INVALID: 'open',
  NAME_TAKEN: 'open',
  NAME_RESERVED: 'open',
  SESSION_REPLACED: 'closes',
  ROOM_INVALID: 'open',
  ROOM_NOT_FOUND: 'open',
  ROOM_EXISTS: 'open',
  NOT_IN_ROOM: 'open',
  USER_NOT_FOUND: 'open',
  BLOCKED: 'open',
  MESSAGE_TOO_LONG: 'open',
  RATE_LIMITED: 'open-or-closes',
  SLOW_CONSUMER: 'closes',
  TOO_MANY_CONNECTIONS: 'closes',
  UNKNOWN_COMMAND: 'open',
  COMMAND_DISABLED: 'open',
  NOT_OPERATOR: 'open',
  COMMAND_COOLDOWN: 'open',
  COMMAND_BUSY: 'open',
  COMMAND_TIMEOUT: 'open',
  COMMAND_FAILED: 'open',
  BAD_ARGUMENTS: 'open',
  IMAGE_INVALID: 'open',
  UPSTREAM_FAILED: 'open',
  BANNED: 'open-or-closes',
  KICKED: 'closes',
  E2E_REQUIRED: 'open',
  E2E_MALFORMED: 'client',
  E2E_BAD_SIGNATURE: 'client',
  E2E_SENDER_MISMATCH: 'client',
  E2E_WRONG_CONTEXT: 'client',
  E2E_REPLAYED: 'client',
  E2E_DECRYPT_FAILED: 'client',
  E2E_PEER_KEY_CHANGED: 'client',
  E2E_OFFER_MISMATCH: 'client',
  E2E_CHUNK_REJECTED: 'client',
  TRANSFER_DECLINED: 'open',
  TRANSFER_TOO_LARGE: 'open',
  TRANSFER_CANCELLED: 'open',
  TRANSFER_CORRUPT: 'open',
  TRANSFER_NOT_FOUND: 'open',
  TRANSFER_OVERRUN: 'open',
  TRANSFER_STALLED: 'open',
  TOO_MANY_TRANSFERS: 'open',
  USER_OFFLINE: 'open',
  TRANSFER_OTHER_SERVER: 'open',
  FILE_UNREADABLE: 'local',
  BAD_OPTION: 'local',
  BAD_ADDRESS: 'local',
  CONNECTION_FAILED: 'local',
  CONNECTION_CLOSED: 'closes',
  TIMEOUT: 'client',
  SERVER_SHUTDOWN: 'closes',
  INTERNAL: 'open',
  NAME_CONFUSABLE: 'open',
  PASSWORD_REQUIRED: 'open',
  TOO_MANY_SESSIONS: 'open',
  NOT_PARLOR: 'client',
  ADDRESS_IN_USE: 'local',
  DATABASE_UNAVAILABLE: 'open',
  LOGIN_TIMEOUT: 'closes',
  TOO_MANY_ROOMS: 'open',
  NOT_A_TERMINAL: 'local',
} as const satisfies Record<ErrorCode, ConnectionEffect>;

/** The one error class of parlor: it carries a stable code, and crosses the wire as {code, message}. */
export class ParlorError extends Error {
  readonly code: ErrorCode | UnknownCode;
  /** For RATE_LIMITED and slowed-down passwords: how long to wait before trying again. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string = ERROR_CODES[code], options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.name = 'ParlorError';
    this.code = code;
    this.retryAfterMs = options?.retryAfterMs;
  }

  /** An error a peer reported with any code, known to this build or not (see UnknownCode). */
  static fromPeer(code: string, message?: string, options?: { cause?: unknown; retryAfterMs?: number }): ParlorError {
    if (isErrorCode(code)) return new ParlorError(code, message, options);
    const error = new ParlorError('INTERNAL', message ?? `the peer reported ${code}`, options);
    (error as { code: string }).code = code;
    return error;
  }

  toJSON(): { code: ErrorCode | UnknownCode; message: string; retryAfterMs?: number } {
    return this.retryAfterMs === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, retryAfterMs: this.retryAfterMs };
  }
}

/**
 * A reason that the peer gave or the socket reported, as a ParlorError without a stack: nothing of
 * ours threw, so a stack would only say where the socket's event came in, and capturing one costs
 * ~10 µs on every connection that closes (a server sees thousands a second under load).
 */
export function peerReason(code: string, message?: string, options?: { cause?: unknown }): ParlorError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return ParlorError.fromPeer(code, message, options);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Any thrown value as a ParlorError, so that no unexpected throw leaks its internals to a peer. */
export function asParlorError(error: unknown, fallback: ErrorCode = 'INTERNAL'): ParlorError {
  if (error instanceof ParlorError) return error;
  return new ParlorError(fallback, undefined, { cause: error });
}
