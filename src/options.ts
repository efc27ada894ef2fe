// Every tunable in one place: a name, a default and a type, validated at start. The CLI maps flags
// onto these; nothing deeper in the code reads process.env or invents its own default.

import { isIPv6 } from 'node:net';
import { hostname, homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ParlorError } from './protocol/errors.ts';
import { SERVER_NAME_MAX_BYTES } from './protocol/constants.ts';

/** The documented default TCP port of a parlor server. */
export const DEFAULT_PORT = 7447;
/** The UDP port where servers answer discovery probes. */
export const DEFAULT_DISCOVERY_PORT = 7448;
/** Where !enlightenme asks for Special:Random. */
export const DEFAULT_WIKIPEDIA_URL = 'https://en.wikipedia.org';
/** A client's reconnects: the first delay, doubling (jittered) up to the last. */
export const DEFAULT_RECONNECT_DELAY_MS = 250;
export const DEFAULT_MAX_RECONNECT_DELAY_MS = 15_000;

/** XDG base dirs: $XDG_CONFIG_HOME/parlor (identity, known_servers) and $XDG_DATA_HOME/parlor. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'parlor');
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share'), 'parlor');
}

const KiB = 1024;
const MiB = 1024 * KiB;

const serverName = z
  .string()
  .min(1)
  .refine((name) => Buffer.byteLength(name) <= SERVER_NAME_MAX_BYTES, `at most ${SERVER_NAME_MAX_BYTES} bytes`)
  .refine((name) => !/[\p{Cc}\p{Cf}]/u.test(name), 'no control or format characters');

const port = z.number().int().min(0).max(65535);

export const serverOptionsSchema = z.object({
  /** '::' listens on every interface, IPv6 and IPv4 both (falls back to 0.0.0.0 without IPv6). */
  host: z.string().min(1).default('::'),
  port: port.default(DEFAULT_PORT),
  name: serverName.default(() => defaultServerName()),
  dataDir: z.string().min(1).default(() => defaultDataDir()),
  /** Keep everything in memory, write nothing: the identity is new at every start. */
  ephemeral: z.boolean().default(false),
  /**
   * A PostgreSQL URL (postgres://USER@HOST/DB): the chat's data lives there instead of SQLite, and
   * every server started with the same database is one chat (src/store/postgres-store.ts).
   */
  database: z.string().regex(/^postgres(ql)?:\/\//, 'a database is a postgres:// or postgresql:// URL').optional(),
  /**
   * The address clients reach this server at, for a server listening on every interface (:: or
   * 0.0.0.0): put in discovery adverts and in the welcome's list of the chat's servers.
   */
  advertiseAddress: z.string().min(1).max(64).refine((host) => !/[\s/@]/.test(host), 'a host name or an IP address').optional(),
  /** With --database: how long a message waits for the database before it is refused (DATABASE_UNAVAILABLE). */
  databaseTimeoutMs: z.number().int().min(100).default(3000),
  /** With --database: how often a server tells the chat's others it is alive ... */
  clusterHeartbeatMs: z.number().int().min(100).default(2000),
  /** ... and how long one may stay silent before the others take it (and its people) for gone. */
  clusterServerGoneMs: z.number().int().min(300).default(8000),
  handshakeTimeoutMs: z.number().int().positive().default(10_000),
  /** A connection that has not logged in may send only small frames: far below the logged-in cap. */
  preLoginFrameCap: z.number().int().min(1 * KiB).default(16 * KiB),
  frameCap: z.number().int().min(16 * KiB).default(1 * MiB),
  /** The join password; generated (and printed) when not given. It is advertised on the LAN. */
  password: z.string().min(1).max(256).optional(),
  /** The operator's password (for !quit and moderation); generated when not given; never advertised. */
  operatorPassword: z.string().min(1).max(256).optional(),
  /** How long a name stays bound to its identity key after that key was last seen (30 days). */
  nameReservationMs: z.number().int().nonnegative().default(30 * 24 * 3600_000),
  /** Sessions one identity key may hold at once (a UI, a tail, a second laptop); the next gets TOO_MANY_SESSIONS. */
  maxSessionsPerIdentity: z.number().int().positive().default(8),
  /**
   * Password guessing (src/server/password-guard.ts), per target (the join password, the operator
   * password, a room): wrong tries one identity key may make from one address before it waits
   * 1 s, 2 s, 4 s ...; and wrong tries from one address, whoever makes them, at once and a minute.
   */
  passwordFreeTries: z.number().int().min(1).default(5),
  passwordGuessBurst: z.number().int().min(1).default(30),
  passwordGuessesPerMinute: z.number().positive().default(30),
  /** Messages of history sent on join, and the default page size. */
  historyLimit: z.number().int().min(1).max(500).default(50),
  maxMessageBytes: z.number().int().min(16).max(64 * KiB).default(4 * KiB),
  /** The per-session token bucket: requests a second, and how many may come at once. */
  ratePerSecond: z.number().positive().default(10),
  rateBurst: z.number().int().positive().default(20),
  /** This many rate-limited requests within floodWindowMs disconnect the session. */
  floodStrikes: z.number().int().positive().default(50),
  floodWindowMs: z.number().int().positive().default(10_000),
  /** Connections from one address that have not logged in yet: more are refused at once. */
  maxUnauthenticatedPerAddress: z.number().int().positive().default(16),
  /** Connections that have not logged in yet, from every address together (issue 17, item 3). */
  maxUnauthenticated: z.number().int().positive().default(256),
  /** A connection that finished the handshake must log in within this long, or it is closed (LOGIN_TIMEOUT). */
  loginTimeoutMs: z.number().int().positive().default(10_000),
  /**
   * One address's share of the request budget, for every identity behind it together (identities
   * cost nothing to make): requests a second and at once (issue 17, item 4). Unset, it is
   * ADDRESS_SHARE times the identity's (addressBudget below), so raising --rate raises both.
   */
  addressRatePerSecond: z.number().positive().optional(),
  addressRateBurst: z.number().int().positive().optional(),
  /** Records (requests) one sealed frame may carry; a frame with more closes the connection before any is parsed. */
  maxRecordsPerFrame: z.number().int().min(64).default(256),
  /** Bytes of messages in one history page or join/login reply: fewer messages, never a failed join. */
  historyPageBytes: z.number().int().min(16 * KiB).default(1 * MiB),
  /** Bytes waiting for every slow reader together: past it the readers with the most waiting are dropped first. */
  maxTotalOutboundBytes: z.number().int().min(64 * KiB).default(64 * MiB),
  /** Rooms one user may create, each user and in all (`create`, issue 17, item 6). */
  maxRoomsPerCreator: z.number().int().positive().default(20),
  maxRooms: z.number().int().positive().default(1000),
  /** `create` requests a minute per identity (room passwords cost a scrypt each). */
  createsPerMinute: z.number().int().positive().default(6),
  /** scrypt runs at once (room passwords); further ones queue, and past maxQueuedPasswordHashes are refused. */
  passwordHashConcurrency: z.number().int().positive().max(16).default(1),
  maxQueuedPasswordHashes: z.number().int().nonnegative().default(32),
  /** With --ephemeral: messages kept in memory per room and per direct conversation (older ones are forgotten). */
  ephemeralWindow: z.number().int().positive().default(1000),
  /** Bytes that may wait for a slow reader before it is dropped with SLOW_CONSUMER. */
  maxOutboundBytes: z.number().int().min(64 * KiB).default(8 * MiB),
  /**
   * A reader that was sent a frame less than this long ago gets further room messages in the
   * next frame at most this much later: under load many messages then share one seal and one write.
   */
  fanoutCoalesceMs: z.number().int().min(0).max(200).default(20),
  /** Answer UDP discovery probes on discoveryPort (0 picks a free one). */
  discovery: z.boolean().default(true),
  discoveryPort: port.default(DEFAULT_DISCOVERY_PORT),
  /** Leave the join password out of discovery adverts. */
  private: z.boolean().default(false),
  /**
   * Publish `_parlor._tcp` over mDNS. Off unless asked for: `parlor serve` asks by default, while
   * servers made in code (tests) must not multicast on the host's real interfaces.
   */
  mdns: z.boolean().default(false),
  /** The bot: a folder of plugin modules, commands turned off, where !meow finds its cats. */
  pluginsDir: z.string().min(1).optional(),
  disabledCommands: z.array(z.string().min(1).max(64)).default([]),
  /** Default: the cats/ folder that ships with parlor. */
  catsDir: z.string().min(1).optional(),
  /** Where !enlightenme asks for Special:Random (a local mirror, or a test's HTTP server). */
  wikipediaUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_WIKIPEDIA_URL),
  /** `!shell`: on by default, in the just-bash sandbox; bwrap where bubblewrap works. */
  shell: z.boolean().default(true),
  shellEngine: z.enum(['just-bash', 'bwrap']).default('just-bash'),

  // File transfer (src/server/transfers.ts).
  /** The largest file the server relays. */
  maxTransferBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(4 * 1024 * MiB),
  /** Transfers one user may have at once, sending and receiving together (offers included). */
  maxTransfersPerUser: z.number().int().positive().default(4),
  /**
   * Flow control: chunk bytes that may be in flight to a receiver beyond what it has written.
   * The server holds at most this much per receiver per transfer; keep it well under maxOutboundBytes.
   */
  transferWindowBytes: z.number().int().min(64 * KiB).max(64 * MiB).default(2 * MiB),
  /** How long a room transfer waits for every member to answer before it starts with those who accepted. */
  transferAnswerMs: z.number().int().positive().default(60_000),
  /** A receiver that holds the sender back and writes nothing for this long is dropped (TRANSFER_STALLED). */
  transferStallMs: z.number().int().positive().default(60_000),

  // The SSH front door (src/ssh): any OpenSSH client joins the chat.
  ssh: z.boolean().default(false),
  sshPort: port.default(7449),
  /** Authentication requests one SSH connection may make (as OpenSSH's MaxAuthTries). */
  sshMaxAuthTries: z.number().int().min(1).max(32).default(6),
  /** An SSH connection that has not authenticated by then is closed (as OpenSSH's LoginGraceTime). */
  sshGraceMs: z.number().int().positive().default(30_000),
});

export type ServerOptions = z.infer<typeof serverOptionsSchema>;

/** An address's share when not set: room for a few people behind one NAT at the full rate each. */
export const ADDRESS_SHARE = 8;

export function addressBudget(options: ServerOptions): { perSecond: number; burst: number } {
  return {
    perSecond: options.addressRatePerSecond ?? options.ratePerSecond * ADDRESS_SHARE,
    burst: options.addressRateBurst ?? options.rateBurst * ADDRESS_SHARE,
  };
}

export const clientOptionsSchema = z.object({
  host: z.string().min(1),
  port: port.refine((value) => value > 0, 'a server port cannot be 0'),
  configDir: z.string().min(1).default(() => defaultConfigDir()),
  /** A fingerprint the server must present, e.g. from a discovery advert or typed by the user. */
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'a fingerprint looks like SHA256: and 43 base64 characters').optional(),
  /** Trust the key the server presents even though it differs from the remembered one. */
  acceptNewKey: z.boolean().default(false),
  connectTimeoutMs: z.number().int().positive().default(10_000),
  handshakeTimeoutMs: z.number().int().positive().default(10_000),
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** The server is authenticated by then, so its frames (history, batches) may be large. */
  frameCap: z.number().int().min(64 * KiB).default(16 * MiB),
});

export type ClientOptions = z.infer<typeof clientOptionsSchema>;

function defaultServerName(): string {
  let name = hostname().replace(/[\p{Cc}\p{Cf}]/gu, '') || 'parlor';
  while (Buffer.byteLength(name) > SERVER_NAME_MAX_BYTES) name = name.slice(0, -1);
  return name;
}

/** Validates options against a schema, failing with BAD_OPTION and every problem named. */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.') || 'options'}: ${issue.message}`);
  throw new ParlorError('BAD_OPTION', problems.join('; '));
}

/** Parses HOST:PORT, [V6]:PORT or a bare host (default port); hosts resolve later via getaddrinfo. */
export function parseServerAddress(text: string, defaultPort = DEFAULT_PORT): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:\s]+)(?::(\d+))?$/.exec(text);
  let host: string | undefined;
  let portText: string | undefined;
  if (bracketed) [, host, portText] = bracketed;
  else if (plain) [, host, portText] = plain;
  else if (isIPv6(text)) host = text; // a bare IPv6 address takes the default port
  const value = portText === undefined ? defaultPort : Number(portText);
  if (!host || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ParlorError('BAD_ADDRESS', `"${text}" is not HOST:PORT (IPv6 as [ADDR]:PORT)`);
  }
  return { host, port: value };
}

/** host:port as people write it, with IPv6 in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
