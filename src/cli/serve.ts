import type { Command } from 'commander';
import { formatAddress } from '../options.ts';
import type { ServerEvent } from '../server/events.ts';
import { ParlorServer } from '../server/server.ts';
import { exitWithError, integerFlag } from './output.ts';

interface ServeFlags {
  host?: string;
  port?: number;
  name?: string;
  data?: string;
  ephemeral?: boolean;
  json?: boolean;
  handshakeTimeout?: number;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run a parlor server on this machine')
    .option('--host <addr>', 'address to listen on (default: every interface, IPv6 and IPv4)')
    .option('--port <n>', 'TCP port; 0 picks a free one (default: 7447)', integerFlag('--port'))
    .option('--name <name>', "the server's name as clients see it (default: the host name)")
    .option('--data <dir>', 'where the server keeps its identity and data (default: $XDG_DATA_HOME/parlor)')
    .option('--ephemeral', 'keep everything in memory and write nothing to disk (a new identity every start)')
    .option('--json', 'print one JSON object a line for each server event, first {"event":"listening",...}')
    .option('--handshake-timeout <ms>', 'close connections that have not finished the handshake by then', integerFlag('--handshake-timeout'))
    .action((flags: ServeFlags) => serve(flags).catch(exitWithError));
}

/**
 * JSON event lines, written once per event-loop turn: a busy server has several events per
 * connection, and a write to a pipe is a synchronous system call each time.
 */
function batchedJsonLines(): { write: (event: ServerEvent) => void; flush: () => void } {
  let lines: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (lines.length === 0) return;
    const text = lines.join('');
    lines = [];
    process.stdout.write(text);
  };
  return {
    write: (event) => {
      lines.push(JSON.stringify(event) + '\n');
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

async function serve(flags: ServeFlags): Promise<void> {
  const jsonLines = flags.json ? batchedJsonLines() : undefined;
  const report = jsonLines ? jsonLines.write : printHuman;
  const server = await ParlorServer.start(
    {
      ...(flags.host !== undefined && { host: flags.host }),
      ...(flags.port !== undefined && { port: flags.port }),
      ...(flags.name !== undefined && { name: flags.name }),
      ...(flags.data !== undefined && { dataDir: flags.data }),
      ...(flags.handshakeTimeout !== undefined && { handshakeTimeoutMs: flags.handshakeTimeout }),
      ephemeral: flags.ephemeral === true,
    },
    report,
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
      console.log(event.ephemeral ? 'ephemeral: nothing is written to disk' : `data in ${event.dataDir}`);
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
