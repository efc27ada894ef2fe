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
/** The longest wait after the server refused a reconnect as busy (TOO_MANY_CONNECTIONS): it is up, and a place frees soon. */
export const DEFAULT_MAX_BUSY_RECONNECT_DELAY_MS = 2000;
/**
 * After a reconnect, how long a joined notice of someone who was in the room when the connection
 * dropped counts as coming back (returning-members.ts): clients come back from a restart within
 * seconds (their backoff tops out at 15 s); someone back after minutes has simply joined.
 */
export const RETURNING_WINDOW_MS = 60_000;

/**
 * Entries an SSH visitor's screen keeps in memory per conversation; older messages come back from
 * the server's history with PageUp. The front door draws one screen per visitor, each with its own
 * conversations: without a bound, every message said stayed in the server's memory once per visitor.
 */
export const SSH_VISITOR_KEPT_ENTRIES = 1000;

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

/**
 * How `parlor serve` sets an option (src/cli/serve.ts builds its flags from these): the flag, and
 * its help line, to which --help adds the schema's default. `defaultText` stands in for a default
 * that is computed at start or derived from another option.
 */
export interface ServeFlag {
  flag: string;
  help: string;
  defaultText?: string;
  /** The flag counts in units of this many of the option's (--name-reservation-days: days of ms). */
  scale?: number;
}

export const serveFlags = z.registry<ServeFlag>();

/** An address's share when not set: room for a few people behind one NAT at the full rate each. */
export const ADDRESS_SHARE = 8;

const DAY_MS = 24 * 3600_000;

export const serverOptionsSchema = z.object({
  /** '::' listens on every interface, IPv6 and IPv4 both (falls back to 0.0.0.0 without IPv6). */
  host: z.string().min(1).default('::').register(serveFlags, { flag: '--host <addr>', help: 'address to listen on', defaultText: 'every interface, IPv6 and IPv4' }),
  port: port.default(DEFAULT_PORT).register(serveFlags, { flag: '--port <n>', help: 'TCP port; 0 picks a free one' }),
  name: serverName.default(() => defaultServerName()).register(serveFlags, { flag: '--name <name>', help: "the server's name as clients see it", defaultText: 'the host name' }),
  dataDir: z.string().min(1).default(() => defaultDataDir()).register(serveFlags, { flag: '--data <dir>', help: 'where the server keeps its identity and data', defaultText: '$XDG_DATA_HOME/parlor' }),
  /** Keep everything in memory, write nothing: the identity is new at every start. */
  ephemeral: z.boolean().default(false).register(serveFlags, { flag: '--ephemeral', help: 'keep everything in memory and write nothing to disk (a new identity every start)' }),
  /**
   * A PostgreSQL URL (postgres://USER@HOST/DB): the chat's data lives there instead of SQLite, and
   * every server started with the same database is one chat (src/store/postgres-store.ts).
   */
  database: z.string().regex(/^postgres(ql)?:\/\//, 'a database is a postgres:// or postgresql:// URL').optional().register(serveFlags, { flag: '--database <url>', help: 'keep the chat in PostgreSQL (postgres://USER@HOST/DB; also PARLOR_DATABASE_URL): servers on one database are one chat' }),
  /**
   * The address clients reach this server at, for a server listening on every interface (:: or
   * 0.0.0.0): put in discovery adverts and in the welcome's list of the chat's servers.
   */
  advertiseAddress: z
    .string()
    .min(1)
    .max(64)
    .refine((host) => !/[\s/@]/.test(host), 'a host name or an IP address')
    .optional()
    .register(serveFlags, { flag: '--advertise-address <addr>', help: "the address clients reach this server at, put in adverts and handed to the chat's other servers' clients (for --host :: or 0.0.0.0)" }),
  /** With --database: how long a message waits for the database before it is refused (DATABASE_UNAVAILABLE). */
  databaseTimeoutMs: z.number().int().min(100).default(3000).register(serveFlags, { flag: '--database-timeout-ms <ms>', help: 'with --database: refuse a message (DATABASE_UNAVAILABLE) when the database has not answered by then' }),
  /** With --database: how often a server tells the chat's others it is alive ... */
  clusterHeartbeatMs: z.number().int().min(100).default(2000).register(serveFlags, { flag: '--cluster-heartbeat-ms <ms>', help: "with --database: how often this server tells the chat's others it is alive" }),
  /** ... and how long one may stay silent before the others take it (and its people) for gone. */
  clusterServerGoneMs: z.number().int().min(300).default(8000).register(serveFlags, { flag: '--cluster-server-gone-ms <ms>', help: 'with --database: a server silent this long is taken for gone, with its people' }),
  handshakeTimeoutMs: z.number().int().positive().default(10_000).register(serveFlags, { flag: '--handshake-timeout <ms>', help: 'close connections that have not finished the handshake by then' }),
  /** A connection that has not logged in may send only small frames: far below the logged-in cap. */
  preLoginFrameCap: z.number().int().min(1 * KiB).default(16 * KiB),
  frameCap: z.number().int().min(16 * KiB).default(1 * MiB),
  /** The join password; generated (and printed) when not given. It is advertised on the LAN. */
  password: z.string().min(1).max(256).optional().register(serveFlags, { flag: '--password <pw>', help: 'the join password, advertised on the LAN', defaultText: 'generated and printed' }),
  /** The operator's password (for !quit and moderation); generated when not given; never advertised. */
  operatorPassword: z.string().min(1).max(256).optional().register(serveFlags, { flag: '--operator-password <pw>', help: 'the operator password, never advertised', defaultText: 'generated and printed' }),
  /** How long a name stays bound to its identity key after that key was last seen (30 days). */
  nameReservationMs: z.number().int().nonnegative().default(30 * DAY_MS).register(serveFlags, { flag: '--name-reservation-days <n>', help: 'days a name stays bound to its key after it was last seen', scale: DAY_MS }),
  /** Sessions one identity key may hold at once (a UI, a tail, a second laptop); the next gets TOO_MANY_SESSIONS. */
  maxSessionsPerIdentity: z.number().int().positive().default(8).register(serveFlags, { flag: '--max-sessions-per-identity <n>', help: 'sessions one identity key may hold at once; the next login gets TOO_MANY_SESSIONS' }),
  /**
   * Password guessing (src/server/password-guard.ts), per target (the join password, the operator
   * password, a room): wrong tries one identity key may make from one address before it waits
   * 1 s, 2 s, 4 s ...; and wrong tries from one address, whoever makes them, at once and a minute.
   */
  passwordFreeTries: z.number().int().min(1).default(5).register(serveFlags, { flag: '--password-free-tries <n>', help: 'wrong passwords one key may try from one address before waiting 1 s, 2 s, 4 s ...' }),
  passwordGuessBurst: z.number().int().min(1).default(30).register(serveFlags, { flag: '--password-guess-burst <n>', help: 'wrong passwords from one address at once, whoever tries them' }),
  passwordGuessesPerMinute: z.number().positive().default(30).register(serveFlags, { flag: '--password-guesses-per-minute <n>', help: 'and then this many a minute; further tries wait their turn' }),
  /** Messages of history sent on join, and the default page size. */
  historyLimit: z.number().int().min(1).max(500).default(50).register(serveFlags, { flag: '--history <n>', help: 'messages of history a client gets on joining a room' }),
  maxMessageBytes: z.number().int().min(16).max(64 * KiB).default(4 * KiB).register(serveFlags, { flag: '--max-message-bytes <n>', help: 'the longest message, in bytes of UTF-8' }),
  /** The per-session token bucket: requests a second, and how many may come at once. */
  ratePerSecond: z.number().positive().default(10).register(serveFlags, { flag: '--rate <n>', help: 'requests a second per client before RATE_LIMITED' }),
  rateBurst: z.number().int().positive().default(20).register(serveFlags, { flag: '--burst <n>', help: 'requests a client may send at once' }),
  /** This many rate-limited requests within floodWindowMs disconnect the session. */
  floodStrikes: z.number().int().positive().default(50).register(serveFlags, { flag: '--flood-strikes <n>', help: 'requests sent before their retryAfterMs, within --flood-window-ms, that disconnect a client' }),
  floodWindowMs: z.number().int().positive().default(10_000).register(serveFlags, { flag: '--flood-window-ms <ms>', help: 'the window in which --flood-strikes are counted' }),
  /** Connections from one address that have not logged in yet: more are refused at once. */
  maxUnauthenticatedPerAddress: z.number().int().positive().default(16).register(serveFlags, { flag: '--max-unauthenticated-per-address <n>', help: 'connections per address not yet logged in' }),
  /** Connections that have not logged in yet, from every address together (issue 17, item 3). */
  maxUnauthenticated: z.number().int().positive().default(256).register(serveFlags, { flag: '--max-unauthenticated <n>', help: 'connections not yet logged in, from every address together' }),
  /**
   * Connections that wait, in arrival order, for one of those places rather than being refused: a
   * restart brings every client back at once (server/admission.ts says why). 0 refuses at once.
   */
  admissionQueue: z.number().int().min(0).default(2048).register(serveFlags, { flag: '--admission-queue <n>', help: 'connections that wait for a place when --max-unauthenticated are taken (0: refuse at once)' }),
  /** Below the client's own handshake deadline (10 s), so that a client let in still has time for its handshake. */
  admissionWaitMs: z.number().int().positive().default(5000).register(serveFlags, { flag: '--admission-wait-ms <ms>', help: 'how long a connection waits in that queue before it is refused' }),
  /**
   * Connections the kernel holds before the server accepts them. Node's default, 511, overflowed
   * in a restart with 2,000 clients coming back (each dropped connect waits a second for its SYN
   * to be sent again); Linux caps it at net.core.somaxconn (4096 on current kernels).
   */
  listenBacklog: z.number().int().positive().default(4096).register(serveFlags, { flag: '--listen-backlog <n>', help: 'connections the kernel queues before the server accepts them (capped by net.core.somaxconn)' }),
  /** A connection that finished the handshake must log in within this long, or it is closed (LOGIN_TIMEOUT). */
  loginTimeoutMs: z.number().int().positive().default(10_000).register(serveFlags, { flag: '--login-timeout <ms>', help: 'close a connection that has not logged in this many ms after its handshake' }),
  /**
   * One address's share of the request budget, for every identity behind it together (identities
   * cost nothing to make): requests a second and at once (issue 17, item 4). Unset, it is
   * ADDRESS_SHARE times the identity's (addressBudget below), so raising --rate raises both.
   */
  addressRatePerSecond: z.number().positive().optional().register(serveFlags, { flag: '--address-rate <n>', help: 'requests a second from one address, every identity behind it together', defaultText: `${ADDRESS_SHARE} × --rate` }),
  addressRateBurst: z.number().int().positive().optional().register(serveFlags, { flag: '--address-burst <n>', help: 'requests one address may send at once, every identity together', defaultText: `${ADDRESS_SHARE} × --burst` }),
  /** Records (requests) one sealed frame may carry; a frame with more closes the connection before any is parsed. */
  maxRecordsPerFrame: z.number().int().min(64).default(256).register(serveFlags, { flag: '--max-records-per-frame <n>', help: 'requests one sealed frame may carry' }),
  /** Bytes of messages in one history page or join/login reply: fewer messages, never a failed join. */
  historyPageBytes: z.number().int().min(16 * KiB).default(1 * MiB).register(serveFlags, { flag: '--history-page-bytes <n>', help: 'bytes of messages in one history page or join reply' }),
  /** Bytes waiting for every slow reader together: past it the readers with the most waiting are dropped first. */
  maxTotalOutboundBytes: z.number().int().min(64 * KiB).default(64 * MiB).register(serveFlags, { flag: '--max-total-outbound-bytes <n>', help: 'bytes waiting for all slow readers together; past it the worst are dropped first' }),
  /** Rooms one user may create, each user and in all (`create`, issue 17, item 6). */
  maxRoomsPerCreator: z.number().int().positive().default(20).register(serveFlags, { flag: '--max-rooms-per-creator <n>', help: 'rooms one user may create' }),
  maxRooms: z.number().int().positive().default(1000).register(serveFlags, { flag: '--max-rooms <n>', help: 'rooms on the server in all' }),
  /** `create` requests a minute per identity (room passwords cost a scrypt each). */
  createsPerMinute: z.number().int().positive().default(6).register(serveFlags, { flag: '--creates-per-minute <n>', help: 'room creations a minute per identity' }),
  /** scrypt runs at once (room passwords); further ones queue, and past maxQueuedPasswordHashes are refused. */
  passwordHashConcurrency: z.number().int().positive().max(16).default(1).register(serveFlags, { flag: '--password-hash-concurrency <n>', help: 'room-password hashes (scrypt) computed at once' }),
  maxQueuedPasswordHashes: z.number().int().nonnegative().default(32).register(serveFlags, { flag: '--max-queued-password-hashes <n>', help: 'room-password hashes that may wait; more are refused with RATE_LIMITED' }),
  /** With --ephemeral: messages kept in memory per room and per direct conversation (older ones are forgotten). */
  ephemeralWindow: z.number().int().positive().default(1000).register(serveFlags, { flag: '--ephemeral-window <n>', help: 'with --ephemeral, messages kept per room and per direct conversation' }),
  /** Bytes that may wait for a slow reader before it is dropped with SLOW_CONSUMER. */
  maxOutboundBytes: z.number().int().min(64 * KiB).default(8 * MiB).register(serveFlags, { flag: '--max-outbound-bytes <n>', help: 'bytes that may wait for a slow reader before it is dropped' }),
  /**
   * A reader that was sent a frame less than this long ago gets further room messages in the
   * next frame at most this much later: under load many messages then share one seal and one write.
   */
  fanoutCoalesceMs: z.number().int().min(0).max(200).default(20),
  /**
   * An open room's joined or left notice that comes less than this after the room's last waits
   * for the rest of it, and goes with the others that came meanwhile (room-notices.ts).
   */
  presenceCoalesceMs: z.number().int().min(0).max(2000).default(250).register(serveFlags, { flag: '--presence-coalesce <ms>', help: "how long an open room's joined/left notices may wait to go out together while people come and go quickly (doubling while they keep coming, up to 8×); 0 sends each at once" }),
  /** Answer UDP discovery probes on discoveryPort (0 picks a free one). */
  discovery: z.boolean().default(true).register(serveFlags, { flag: '--no-discovery', help: 'do not answer discovery probes (clients then need HOST:PORT)' }),
  discoveryPort: port.default(DEFAULT_DISCOVERY_PORT).register(serveFlags, { flag: '--discovery-port <n>', help: 'UDP port that answers discovery probes; 0 picks a free one' }),
  /** Leave the join password out of discovery adverts. */
  private: z.boolean().default(false).register(serveFlags, { flag: '--private', help: 'leave the join password out of discovery adverts' }),
  /**
   * Publish `_parlor._tcp` over mDNS. Off unless asked for: `parlor serve` asks by default, while
   * servers made in code (tests) must not multicast on the host's real interfaces.
   */
  mdns: z.boolean().default(false).register(serveFlags, { flag: '--no-mdns', help: 'do not publish _parlor._tcp over mDNS' }),
  /** The bot: a folder of plugin modules, commands turned off, where !meow finds its cats. */
  pluginsDir: z.string().min(1).optional().register(serveFlags, { flag: '--plugins <dir>', help: 'load every module in DIR as further bot commands (a broken one is reported and skipped)' }),
  disabledCommands: z.array(z.string().min(1).max(64)).default([]).register(serveFlags, { flag: '--disable-command <name>', help: 'turn a bot command off (repeatable)' }),
  /** Default: the cats/ folder that ships with parlor. */
  catsDir: z.string().min(1).optional().register(serveFlags, { flag: '--cats <dir>', help: 'where !meow picks its pictures', defaultText: 'the cats that ship with parlor' }),
  /** Where !enlightenme asks for Special:Random (a local mirror, or a test's HTTP server). */
  wikipediaUrl: z.url({ protocol: /^https?$/ }).default(DEFAULT_WIKIPEDIA_URL).register(serveFlags, { flag: '--wikipedia-url <url>', help: 'where !enlightenme asks for a random article' }),
  /** `!shell`: on by default, in the just-bash sandbox; bwrap where bubblewrap works. */
  shell: z.boolean().default(true).register(serveFlags, { flag: '--no-shell', help: 'turn !shell off' }),
  shellEngine: z.enum(['just-bash', 'bwrap']).default('just-bash').register(serveFlags, { flag: '--shell-engine <engine>', help: 'where !shell runs: just-bash (a simulated shell) or bwrap (bubblewrap; falls back to just-bash with a warning)' }),

  // File transfer (src/server/transfers.ts).
  /** The largest file the server relays. */
  maxTransferBytes: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).default(4 * 1024 * MiB).register(serveFlags, { flag: '--max-transfer-bytes <n>', help: 'the largest file the server relays' }),
  /** Transfers one user may have at once, sending and receiving together (offers included). */
  maxTransfersPerUser: z.number().int().positive().default(4).register(serveFlags, { flag: '--max-transfers-per-user <n>', help: 'file transfers a user may have at once, sending and receiving' }),
  /**
   * Flow control: chunk bytes that may be in flight to a receiver beyond what it has written.
   * The server holds at most this much per receiver per transfer; keep it well under maxOutboundBytes.
   */
  transferWindowBytes: z.number().int().min(64 * KiB).max(64 * MiB).default(2 * MiB).register(serveFlags, { flag: '--transfer-window-bytes <n>', help: 'flow control: chunk bytes in flight per receiver of a transfer' }),
  /** How long a room transfer waits for every member to answer before it starts with those who accepted. */
  transferAnswerMs: z.number().int().positive().default(60_000).register(serveFlags, { flag: '--transfer-answer-ms <ms>', help: 'how long an offer waits for answers before the transfer starts or expires' }),
  /** A receiver that holds the sender back and writes nothing for this long is dropped (TRANSFER_STALLED). */
  transferStallMs: z.number().int().positive().default(60_000).register(serveFlags, { flag: '--transfer-stall-ms <ms>', help: 'drop a receiver that holds a transfer back this long without progress' }),

  // The SSH front door (src/ssh): any OpenSSH client joins the chat.
  ssh: z.boolean().default(false).register(serveFlags, { flag: '--ssh', help: "also let any OpenSSH client join: ssh -p 7449 NAME@HOST (not end-to-end: the server reads SSH users' traffic)" }),
  sshPort: port.default(7449).register(serveFlags, { flag: '--ssh-port <n>', help: 'TCP port of the SSH front door; 0 picks a free one' }),
  /** Authentication requests one SSH connection may make (as OpenSSH's MaxAuthTries). */
  sshMaxAuthTries: z.number().int().min(1).max(32).default(6),
  /** An SSH connection that has not authenticated by then is closed (as OpenSSH's LoginGraceTime). */
  sshGraceMs: z.number().int().positive().default(30_000),
});

export type ServerOptions = z.infer<typeof serverOptionsSchema>;

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
