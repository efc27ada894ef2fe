import { performance } from 'node:perf_hooks';
import { type Command, Option } from 'commander';
import type { z } from 'zod';
import { formatAddress, type ServerOptions, serveFlags, serverOptionsSchema } from '../options.ts';
import type { ServerEvent } from '../server/events.ts';
import { type ServerInput, ParlorServer } from '../server/server.ts';
import { HOSTED_BY_PARENT_ENV } from '../shared/host-server.ts';
import { exitWithError, integerFlag, repeatable } from './output.ts';

/** A server option that `parlor serve` sets, and the commander option made for it. */
interface ServeOption {
  key: keyof ServerOptions;
  option: Option;
  scale: number;
}

/**
 * One flag for each server option the options table gives a flag (src/options.ts), with the
 * default taken from the schema: declared once, so --help, the README and the server agree.
 */
function serveOptions(): ServeOption[] {
  const made: ServeOption[] = [];
  for (const [key, schema] of Object.entries(serverOptionsSchema.shape) as [keyof ServerOptions, z.ZodType][]) {
    const flag = serveFlags.get(schema);
    if (!flag) continue;
    const type = baseType(schema);
    const scale = flag.scale ?? 1;
    const fallback = flag.defaultText ?? shownDefault(schema.parse(undefined), flag.flag, scale);
    const negated = flag.flag.startsWith('--no-');
    const option = new Option(flag.flag, negated || fallback === undefined ? flag.help : `${flag.help} (default: ${fallback})`);
    const name = flag.flag.split(' ')[0]!;
    if (type === 'number') option.argParser(integerFlag(name));
    if (type === 'array') option.argParser(repeatable).default([] as string[]);
    made.push({ key, option, scale });
  }
  return made;
}

/** The option's type under its default or optional wrapper: number, string, boolean, array ... */
function baseType(schema: z.ZodType): string {
  let def = schema.def as { type: string; innerType?: z.ZodType };
  while (def.innerType) def = def.innerType.def as typeof def;
  return def.type;
}

const MiB = 1024 * 1024;

/** A default as --help shows it: byte counts of whole MiB or GiB in those units; nothing for none. */
function shownDefault(value: unknown, flag: string, scale: number): string | undefined {
  if (typeof value === 'number') {
    if (flag.includes('-bytes') && value >= MiB && value % MiB === 0) return value % (1024 * MiB) === 0 ? `${value / 1024 / MiB} GiB` : `${value / MiB} MiB`;
    return String(value / scale);
  }
  if (typeof value === 'string') return value;
  return undefined;
}

export function registerServe(program: Command): void {
  const options = serveOptions();
  const command = program.command('serve').description('run a parlor server on this machine');
  for (const { option } of options) command.addOption(option);
  command
    .option('--json', 'print one JSON object a line for each server event, first {"event":"listening",...}')
    .action((flags: Record<string, unknown> & { json?: boolean }) => serve(serverInput(options, flags), flags.json === true).catch(exitWithError));
}

/** The flags given (and the negated ones' true) as server options; the schema checks each. */
function serverInput(options: ServeOption[], flags: Record<string, unknown>): ServerInput {
  const input: Record<string, unknown> = {};
  for (const { key, option, scale } of options) {
    const value = flags[option.attributeName()];
    if (value !== undefined) input[key] = typeof value === 'number' ? value * scale : value;
  }
  // The one place the environment is read: the flag wins over it.
  input.database ??= process.env.PARLOR_DATABASE_URL || undefined;
  if (input.database === undefined) delete input.database;
  return input as ServerInput;
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

async function serve(input: ServerInput, json: boolean): Promise<void> {
  const jsonLines = json ? batchedJsonLines() : undefined;
  const report = jsonLines ? jsonLines.write : printHuman;
  const server = await ParlorServer.start(
    input,
    (event) => {
      report(event);
      // Stopped from inside (an operator's !quit): the process ends as after Ctrl-C.
      if (event.event === 'stopped') {
        jsonLines?.flush();
        setImmediate(() => process.exit(0));
      }
    },
  );
  let stopping = false;
  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    server.stop(reason).then(() => {
      jsonLines?.flush();
      process.exit(0);
    });
  };
  process.once('SIGINT', () => stop('the server received SIGINT'));
  process.once('SIGTERM', () => stop('the server received SIGTERM'));
  // A server hosted by a UI (src/shared/host-server.ts) reads its parent's pipe on stdin: the pipe
  // closes when that UI ends however it ends (SIGKILL, a closed terminal), and the server with it.
  if (process.env[HOSTED_BY_PARENT_ENV] === '1') {
    process.stdin.on('data', () => {});
    process.stdin.once('close', () => stop('the UI that hosted it has ended'));
  }
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
