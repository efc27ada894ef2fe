import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import { DEFAULT_DISCOVERY_PORT, DEFAULT_PORT, DEFAULT_WIKIPEDIA_URL, formatAddress } from '../options.ts';
import type { ServerEvent } from '../server/events.ts';
import { ParlorServer } from '../server/server.ts';
import { exitWithError, integerFlag, repeatable } from './output.ts';

interface ServeFlags {
  host?: string;
  port?: number;
  name?: string;
  data?: string;
  ephemeral?: boolean;
  database?: string;
  advertiseAddress?: string;
  databaseTimeoutMs?: number;
  clusterHeartbeatMs?: number;
  clusterServerGoneMs?: number;
  json?: boolean;
  handshakeTimeout?: number;
  password?: string;
  operatorPassword?: string;
  history?: number;
  maxMessageBytes?: number;
  rate?: number;
  burst?: number;
  maxUnauthenticatedPerAddress?: number;
  nameReservationDays?: number;
  maxSessionsPerIdentity?: number;
  passwordFreeTries?: number;
  passwordGuessBurst?: number;
  passwordGuessesPerMinute?: number;
  maxOutboundBytes?: number;
  discovery: boolean;
  discoveryPort?: number;
  private?: boolean;
  mdns: boolean;
  plugins?: string;
  disableCommand: string[];
  cats?: string;
  wikipediaUrl?: string;
  shell: boolean;
  shellEngine?: string;
  floodStrikes?: number;
  floodWindowMs?: number;
  addressRate?: number;
  addressBurst?: number;
  maxUnauthenticated?: number;
  loginTimeout?: number;
  maxRecordsPerFrame?: number;
  historyPageBytes?: number;
  maxTotalOutboundBytes?: number;
  maxRoomsPerCreator?: number;
  maxRooms?: number;
  createsPerMinute?: number;
  passwordHashConcurrency?: number;
  maxQueuedPasswordHashes?: number;
  ephemeralWindow?: number;
  // File transfer.
  maxTransferBytes?: number;
  maxTransfersPerUser?: number;
  transferWindowBytes?: number;
  transferStallMs?: number;
  transferAnswerMs?: number;
  ssh?: boolean;
  sshPort?: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a parlor server on this machine')
    .option('--host <addr>', 'address to listen on (default: every interface, IPv6 and IPv4)')
    .option('--port <n>', `TCP port; 0 picks a free one (default: ${DEFAULT_PORT})`, integerFlag('--port'))
    .option('--name <name>', "the server's name as clients see it (default: the host name)")
    .option('--data <dir>', 'where the server keeps its identity and data (default: $XDG_DATA_HOME/parlor)')
    .option('--ephemeral', 'keep everything in memory and write nothing to disk (a new identity every start)')
    .option('--advertise-address <addr>', 'the address clients reach this server at, put in adverts and given to the chat\'s other servers\' clients (for --host :: or 0.0.0.0)')
    .option('--database <url>', 'keep the chat in PostgreSQL (postgres://USER@HOST/DB; also PARLOR_DATABASE_URL): servers on one database are one chat')
    .option('--database-timeout-ms <ms>', 'with --database: refuse a message (DATABASE_UNAVAILABLE) when the database has not answered by then (default: 3000)', integerFlag('--database-timeout-ms'))
    .option('--cluster-heartbeat-ms <ms>', "with --database: how often this server tells the chat's others it is alive (default: 2000)", integerFlag('--cluster-heartbeat-ms'))
    .option('--cluster-server-gone-ms <ms>', 'with --database: a server silent this long is taken for gone, with its people (default: 8000)', integerFlag('--cluster-server-gone-ms'))
    .option('--json', 'print one JSON object a line for each server event, first {"event":"listening",...}')
    .option('--handshake-timeout <ms>', 'close connections that have not finished the handshake by then', integerFlag('--handshake-timeout'))
    .option('--password <pw>', 'the join password, advertised on the LAN (default: generated and printed)')
    .option('--operator-password <pw>', 'the operator password, never advertised (default: generated and printed)')
    .option('--history <n>', 'messages of history a client gets on joining a room (default: 50)', integerFlag('--history'))
    .option('--max-message-bytes <n>', 'the longest message, in bytes of UTF-8 (default: 4096)', integerFlag('--max-message-bytes'))
    .option('--rate <n>', 'requests a second per client before RATE_LIMITED (default: 10)', integerFlag('--rate'))
    .option('--burst <n>', 'requests a client may send at once (default: 20)', integerFlag('--burst'))
    .option('--max-unauthenticated-per-address <n>', 'connections per address not yet logged in (default: 16)', integerFlag('--max-unauthenticated-per-address'))
    .option('--max-outbound-bytes <n>', 'bytes that may wait for a slow reader before it is dropped (default: 8 MiB)', integerFlag('--max-outbound-bytes'))
    .option('--discovery-port <n>', `UDP port that answers discovery probes; 0 picks a free one (default: ${DEFAULT_DISCOVERY_PORT})`, integerFlag('--discovery-port'))
    .option('--no-discovery', 'do not answer discovery probes (clients then need HOST:PORT)')
    .option('--private', 'leave the join password out of discovery adverts')
    .option('--no-mdns', 'do not publish _parlor._tcp over mDNS')
    .option('--plugins <dir>', 'load every module in DIR as further bot commands (a broken one is reported and skipped)')
    .option('--disable-command <name>', 'turn a bot command off (repeatable)', repeatable, [] as string[])
    .option('--cats <dir>', 'where !meow picks its pictures (default: the cats that ship with parlor)')
    .option('--wikipedia-url <url>', `where !enlightenme asks for a random article (default: ${DEFAULT_WIKIPEDIA_URL})`)
    .option('--no-shell', 'turn !shell off')
    .option('--shell-engine <engine>', 'where !shell runs: just-bash (a simulated shell, the default) or bwrap (bubblewrap; falls back to just-bash with a warning)')
    .option('--flood-strikes <n>', 'requests sent before their retryAfterMs, within --flood-window-ms, that disconnect a client (default: 50)', integerFlag('--flood-strikes'))
    .option('--flood-window-ms <ms>', 'the window in which --flood-strikes are counted (default: 10000)', integerFlag('--flood-window-ms'))
    .option('--address-rate <n>', 'requests a second from one address, every identity behind it together (default: 8 × --rate)', integerFlag('--address-rate'))
    .option('--address-burst <n>', 'requests one address may send at once, every identity together (default: 8 × --burst)', integerFlag('--address-burst'))
    .option('--max-unauthenticated <n>', 'connections not yet logged in, from every address together (default: 256)', integerFlag('--max-unauthenticated'))
    .option('--login-timeout <ms>', 'close a connection that has not logged in this many ms after its handshake (default: 10000)', integerFlag('--login-timeout'))
    .option('--max-records-per-frame <n>', 'requests one sealed frame may carry (default: 256)', integerFlag('--max-records-per-frame'))
    .option('--history-page-bytes <n>', 'bytes of messages in one history page or join reply (default: 1 MiB)', integerFlag('--history-page-bytes'))
    .option('--max-total-outbound-bytes <n>', 'bytes waiting for all slow readers together; past it the worst are dropped first (default: 64 MiB)', integerFlag('--max-total-outbound-bytes'))
    .option('--max-rooms-per-creator <n>', 'rooms one user may create (default: 20)', integerFlag('--max-rooms-per-creator'))
    .option('--max-rooms <n>', 'rooms on the server in all (default: 1000)', integerFlag('--max-rooms'))
    .option('--creates-per-minute <n>', 'room creations a minute per identity (default: 6)', integerFlag('--creates-per-minute'))
    .option('--password-hash-concurrency <n>', 'room-password hashes (scrypt) computed at once (default: 1)', integerFlag('--password-hash-concurrency'))
    .option('--max-queued-password-hashes <n>', 'room-password hashes that may wait; more are refused with RATE_LIMITED (default: 32)', integerFlag('--max-queued-password-hashes'))
    .option('--ephemeral-window <n>', 'with --ephemeral, messages kept per room and per direct conversation (default: 1000)', integerFlag('--ephemeral-window'))
    .option('--name-reservation-days <n>', 'days a name stays bound to its key after it was last seen (default: 30)', integerFlag('--name-reservation-days'))
    .option('--max-sessions-per-identity <n>', 'sessions one identity key may hold at once; the next login gets TOO_MANY_SESSIONS (default: 8)', integerFlag('--max-sessions-per-identity'))
    .option('--password-free-tries <n>', 'wrong passwords one key may try from one address before waiting 1 s, 2 s, 4 s ... (default: 5)', integerFlag('--password-free-tries'))
    .option('--password-guess-burst <n>', 'wrong passwords from one address at once, whoever tries them (default: 30)', integerFlag('--password-guess-burst'))
    .option('--password-guesses-per-minute <n>', 'and then this many a minute; further tries wait their turn (default: 30)', integerFlag('--password-guesses-per-minute'))
    // File transfer.
    .option('--max-transfer-bytes <n>', 'the largest file the server relays (default: 4 GiB)', integerFlag('--max-transfer-bytes'))
    .option('--max-transfers-per-user <n>', 'file transfers a user may have at once, sending and receiving (default: 4)', integerFlag('--max-transfers-per-user'))
    .option('--transfer-window-bytes <n>', 'flow control: chunk bytes in flight per receiver of a transfer (default: 2 MiB)', integerFlag('--transfer-window-bytes'))
    .option('--transfer-stall-ms <ms>', 'drop a receiver that holds a transfer back this long without progress (default: 60000)', integerFlag('--transfer-stall-ms'))
    .option('--transfer-answer-ms <ms>', 'how long an offer waits for answers before the transfer starts or expires (default: 60000)', integerFlag('--transfer-answer-ms'))
    // The SSH front door.
    .option('--ssh', 'also let any OpenSSH client join: ssh -p 7449 NAME@HOST (not end-to-end: the server reads SSH users\' traffic)')
    .option('--ssh-port <n>', 'TCP port of the SSH front door; 0 picks a free one (default: 7449)', integerFlag('--ssh-port'))
    .action((flags: ServeFlags) => serve(flags).catch(exitWithError));
}

/**
 * JSON event lines go out at most once per JSON_LINES_WINDOW_MS while events keep coming: a busy
 * server has two events per connection (session, disconnect), and a write to a pipe is a
 * synchronous system call each time that also wakes the reader (~25 µs of the server's CPU per
 * handshake when written one turn at a time). The first event after a quiet spell goes out in the
 * same turn, so `listening` and the odd event are not delayed.
 */
const JSON_LINES_WINDOW_MS = 10;

function batchedJsonLines(): { write: (event: ServerEvent) => void; flush: () => void } {
  let lines: string[] = [];
  let scheduled = false;
  let lastWriteAt = -Infinity;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = lines.join('');
    lines = [];
    lastWriteAt = performance.now();
    process.stdout.write(text);
  };
  return {
    write: (event) => {
      lines.push(JSON.stringify(event) + '\n');
      if (scheduled) return;
      scheduled = true;
      const wait = lastWriteAt + JSON_LINES_WINDOW_MS - performance.now();
      if (wait > 1) setTimeout(flush, wait);
      else setImmediate(flush);
    },
    flush,
  };
}

async function serve(flags: ServeFlags): Promise<void> {
  const jsonLines = flags.json ? batchedJsonLines() : undefined;
  const report = jsonLines ? jsonLines.write : printHuman;
  // The one place the environment is read: the flag wins over it.
  const databaseUrl = flags.database ?? (process.env.PARLOR_DATABASE_URL || undefined);
  const server = await ParlorServer.start(
    {
      ...(flags.host !== undefined && { host: flags.host }),
      ...(flags.port !== undefined && { port: flags.port }),
      ...(flags.name !== undefined && { name: flags.name }),
      ...(flags.data !== undefined && { dataDir: flags.data }),
      ...(flags.handshakeTimeout !== undefined && { handshakeTimeoutMs: flags.handshakeTimeout }),
      ...(flags.password !== undefined && { password: flags.password }),
      ...(flags.operatorPassword !== undefined && { operatorPassword: flags.operatorPassword }),
      ...(flags.history !== undefined && { historyLimit: flags.history }),
      ...(flags.maxMessageBytes !== undefined && { maxMessageBytes: flags.maxMessageBytes }),
      ...(flags.rate !== undefined && { ratePerSecond: flags.rate }),
      ...(flags.burst !== undefined && { rateBurst: flags.burst }),
      ...(flags.maxUnauthenticatedPerAddress !== undefined && { maxUnauthenticatedPerAddress: flags.maxUnauthenticatedPerAddress }),
      ...(flags.maxOutboundBytes !== undefined && { maxOutboundBytes: flags.maxOutboundBytes }),
      ...(flags.nameReservationDays !== undefined && { nameReservationMs: flags.nameReservationDays * 24 * 3600_000 }),
      ...(flags.maxSessionsPerIdentity !== undefined && { maxSessionsPerIdentity: flags.maxSessionsPerIdentity }),
      ...(flags.passwordFreeTries !== undefined && { passwordFreeTries: flags.passwordFreeTries }),
      ...(flags.passwordGuessBurst !== undefined && { passwordGuessBurst: flags.passwordGuessBurst }),
      ...(flags.passwordGuessesPerMinute !== undefined && { passwordGuessesPerMinute: flags.passwordGuessesPerMinute }),
      ...(flags.floodStrikes !== undefined && { floodStrikes: flags.floodStrikes }),
      ...(flags.floodWindowMs !== undefined && { floodWindowMs: flags.floodWindowMs }),
      ...(flags.addressRate !== undefined && { addressRatePerSecond: flags.addressRate }),
      ...(flags.addressBurst !== undefined && { addressRateBurst: flags.addressBurst }),
      ...(flags.maxUnauthenticated !== undefined && { maxUnauthenticated: flags.maxUnauthenticated }),
      ...(flags.loginTimeout !== undefined && { loginTimeoutMs: flags.loginTimeout }),
      ...(flags.maxRecordsPerFrame !== undefined && { maxRecordsPerFrame: flags.maxRecordsPerFrame }),
      ...(flags.historyPageBytes !== undefined && { historyPageBytes: flags.historyPageBytes }),
      ...(flags.maxTotalOutboundBytes !== undefined && { maxTotalOutboundBytes: flags.maxTotalOutboundBytes }),
      ...(flags.maxRoomsPerCreator !== undefined && { maxRoomsPerCreator: flags.maxRoomsPerCreator }),
      ...(flags.maxRooms !== undefined && { maxRooms: flags.maxRooms }),
      ...(flags.createsPerMinute !== undefined && { createsPerMinute: flags.createsPerMinute }),
      ...(flags.passwordHashConcurrency !== undefined && { passwordHashConcurrency: flags.passwordHashConcurrency }),
      ...(flags.maxQueuedPasswordHashes !== undefined && { maxQueuedPasswordHashes: flags.maxQueuedPasswordHashes }),
      ...(flags.ephemeralWindow !== undefined && { ephemeralWindow: flags.ephemeralWindow }),
      ephemeral: flags.ephemeral === true,
      ssh: flags.ssh === true,
      ...(flags.sshPort !== undefined && { sshPort: flags.sshPort }),
      ...(databaseUrl !== undefined && { database: databaseUrl }),
      ...(flags.advertiseAddress !== undefined && { advertiseAddress: flags.advertiseAddress }),
      ...(flags.databaseTimeoutMs !== undefined && { databaseTimeoutMs: flags.databaseTimeoutMs }),
      ...(flags.clusterHeartbeatMs !== undefined && { clusterHeartbeatMs: flags.clusterHeartbeatMs }),
      ...(flags.clusterServerGoneMs !== undefined && { clusterServerGoneMs: flags.clusterServerGoneMs }),
      discovery: flags.discovery,
      mdns: flags.mdns,
      private: flags.private === true,
      ...(flags.discoveryPort !== undefined && { discoveryPort: flags.discoveryPort }),
      ...(flags.plugins !== undefined && { pluginsDir: flags.plugins }),
      disabledCommands: flags.disableCommand,
      ...(flags.cats !== undefined && { catsDir: flags.cats }),
      ...(flags.wikipediaUrl !== undefined && { wikipediaUrl: flags.wikipediaUrl }),
      shell: flags.shell,
      // Checked by the options schema: anything else is BAD_OPTION, like every other flag.
      ...(flags.shellEngine !== undefined && { shellEngine: flags.shellEngine as 'just-bash' | 'bwrap' }),
      // File transfer.
      ...(flags.maxTransferBytes !== undefined && { maxTransferBytes: flags.maxTransferBytes }),
      ...(flags.maxTransfersPerUser !== undefined && { maxTransfersPerUser: flags.maxTransfersPerUser }),
      ...(flags.transferWindowBytes !== undefined && { transferWindowBytes: flags.transferWindowBytes }),
      ...(flags.transferStallMs !== undefined && { transferStallMs: flags.transferStallMs }),
      ...(flags.transferAnswerMs !== undefined && { transferAnswerMs: flags.transferAnswerMs }),
    },
    (event) => {
      report(event);
      // Stopped from inside (an operator's !quit): the process ends as after Ctrl-C.
      if (event.event === 'stopped') {
        jsonLines?.flush();
        setImmediate(() => process.exit(0));
      }
    },
  );
  const stop = (signal: string) => {
    server.stop(`the server received ${signal}`).then(() => {
      jsonLines?.flush();
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

function printHuman(event: ServerEvent): void {
  switch (event.event) {
    case 'listening':
      console.log(`parlor server "${event.name}" listening on ${formatAddress(event.host, event.port)}`);
      console.log(`fingerprint ${event.fingerprint}`);
      console.log(`join password: ${event.password}`);
      if (event.operatorPassword) console.log(`operator password: ${event.operatorPassword} (keep it to yourself)`);
      console.log(event.database ? `data in the database ${event.database}` : event.ephemeral ? 'ephemeral: nothing is written to disk' : `data in ${event.dataDir}`);
      console.log(event.discoveryPort === null ? 'discovery: off' : `discovery: answering probes on UDP port ${event.discoveryPort}`);
      console.log(event.mdns ? 'mDNS: published as _parlor._tcp' : 'mDNS: off');
      if (event.sshPort !== null) {
        const host = event.host === '::' || event.host === '0.0.0.0' ? 'THIS-HOST' : event.host;
        console.log(`ssh: ssh -p ${event.sshPort} NAME@${host.includes(':') ? `[${host}]` : host}   (host key ${event.fingerprint})`);
      }
      break;
    case 'warning':
      console.error(`parlor: warning: ${event.message}`);
      break;
    case 'plugin_skipped':
      console.error(`parlor: ${event.source} skipped: ${event.problem}`);
      break;
    case 'discovery_unavailable':
      console.log(`discovery unavailable (${event.reason}); clients can still connect with HOST:PORT`);
      break;
    case 'name_released':
      console.log(`${event.by} released the name ${event.name} from key ${event.fingerprint}`);
      break;
    case 'stopping':
      console.log(`stopping: ${event.reason}`);
      break;
    case 'stopped':
      console.log('stopped');
      break;
    default:
      // Per-connection events are for --json and logs; a person watching the terminal wants quiet.
      break;
  }
}
