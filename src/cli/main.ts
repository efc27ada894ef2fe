// The `parlor` binary: commander subcommands, each with --help; plain `parlor` opens the terminal UI.
//
// A start loads only what it runs: the module of the subcommand named on the command line (or all
// of them when none is, for plain `parlor` and the help that lists them), and each of those loads
// its heaviest parts (the UI, sharp, a browser opener, mDNS) only when it gets to them.

import { Command, type CommanderError } from 'commander';
import { widenHeapGrowth } from '../heap-growth.ts';
import { PARLOR_VERSION } from '../version.ts';
import { exitWithError } from './output.ts';

type Register = (program: Command) => void;

/** Each subcommand's module; the UI's (plain `parlor`) is registered on the program itself. */
const SUBCOMMANDS: Record<string, () => Promise<Register>> = {
  serve: async () => (await import('./serve.ts')).registerServe,
  discover: async () => (await import('./discover.ts')).registerDiscover,
  ping: async () => (await import('./ping.ts')).registerPing,
  send: async () => (await import('./send.ts')).registerSend,
  tail: async () => (await import('./tail.ts')).registerTail,
  sendfile: async () => (await import('./sendfile.ts')).registerSendFile,
  web: async () => (await import('./web.ts')).registerWeb,
};
const UI = async (): Promise<Register> => (await import('./ui.ts')).registerUi;

async function main(argv: string[]): Promise<void> {
  const first = argv[2];
  // Scripts ask this before anything else; it needs nothing else loaded.
  if (argv.length === 3 && (first === '--version' || first === '-V')) {
    process.stdout.write(`${PARLOR_VERSION}\n`);
    return;
  }
  widenHeapGrowth();

  const program = new Command('parlor')
    .description('a chat for one local network: encrypted, with a bot, and it finds its server by itself')
    .version(PARLOR_VERSION)
    .showHelpAfterError()
    // The UI's flags (--server, --name, ...) belong to plain `parlor` only: a subcommand's flags of
    // the same name stay its own.
    .enablePositionalOptions()
    .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

  const named = first !== undefined && Object.hasOwn(SUBCOMMANDS, first) ? SUBCOMMANDS[first] : undefined;
  // Registration order is the order `parlor --help` lists the subcommands in.
  const registers = named !== undefined ? [named] : [SUBCOMMANDS.serve!, SUBCOMMANDS.discover!, SUBCOMMANDS.ping!, SUBCOMMANDS.send!, SUBCOMMANDS.tail!, UI, SUBCOMMANDS.sendfile!, SUBCOMMANDS.web!];
  for (const register of await Promise.all(registers.map((load) => load()))) register(program);
  await program.parseAsync(argv);
}

await main(process.argv).catch(exitWithError);
