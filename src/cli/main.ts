// The `parlor` binary: commander subcommands, each with --help; plain `parlor` opens the terminal UI.

import { Command, CommanderError } from 'commander';
import { widenHeapGrowth } from '../heap-growth.ts';
import { PARLOR_VERSION } from '../version.ts';
import { exitWithError } from './output.ts';
import { registerDiscover } from './discover.ts';
import { registerPing } from './ping.ts';
import { registerSend } from './send.ts';
import { registerSendFile } from './sendfile.ts';
import { registerServe } from './serve.ts';
import { registerTail } from './tail.ts';
import { registerUi } from './ui.ts';
import { registerWeb } from './web.ts';

widenHeapGrowth();

const program = new Command('parlor')
  .description('a chat for one local network: encrypted, with a bot, and it finds its server by itself')
  .version(PARLOR_VERSION)
  .showHelpAfterError()
  // The UI's flags (--server, --name, ...) belong to plain `parlor` only: a subcommand's flags of
  // the same name stay its own.
  .enablePositionalOptions()
  .exitOverride((error: CommanderError) => process.exit(error.exitCode === 0 ? 0 : 2));

registerServe(program);
registerDiscover(program);
registerPing(program);
registerSend(program);
registerTail(program);
registerUi(program);
registerSendFile(program);
registerWeb(program);

await program.parseAsync(process.argv).catch(exitWithError);
