import type { Command } from 'commander';
import { FileTransfers, type TransferProgress } from '../client/transfers/transfers.ts';
import { inertText } from '../shared/inert-text.ts';
import { ParlorError, isErrorCode } from '../protocol/errors.ts';
import { addClientFlags, connectFromFlags, type ClientFlags } from './client-flags.ts';
import { exitWithError, printJson } from './output.ts';
import { formatBytes } from '../client/transfers/transfer-progress.ts';

interface SendFileFlags extends ClientFlags {
  to?: string;
  room?: string;
  roomPassword?: string;
  json?: boolean;
}

export function registerSendFile(program: Command): void {
  addClientFlags(
    program
      .command('sendfile')
      .description('send a file to a user or to the members of a room; progress on stderr; exits 0 once it was received')
      .argument('<path>', 'the file to send'),
  )
    .option('--to <user>', 'send it to this user')
    .option('--room <room>', 'send it to every member of this room who accepts')
    .option('--room-password <pw>', "the room's own password, if it has one")
    .option('--json', 'print the outcome as one JSON object: {transfer, name, size, sha256, received, missed}')
    .action((path: string, flags: SendFileFlags) => sendFile(path, flags).catch(exitWithError));
}

async function sendFile(path: string, flags: SendFileFlags): Promise<void> {
  if ((flags.to === undefined) === (flags.room === undefined)) throw new ParlorError('BAD_OPTION', 'give --to USER or --room ROOM');
  const chat = await connectFromFlags(flags);
  try {
    if (flags.room !== undefined) await chat.join(flags.room, flags.roomPassword);
    const files = new FileTransfers(chat);
    const sending = files.send(flags.to !== undefined ? { to: flags.to } : { room: flags.room! }, path);
    const progress = progressLine();
    sending.on('progress', progress.draw);
    sending.on('status', (outcome) => {
      if (outcome.status === 'declined' || outcome.status === 'failed') {
        progress.note(inertText(`${outcome.name} ${outcome.status}: ${outcome.code ?? ''} ${outcome.message ?? ''}`.trim()));
      }
    });
    const result = await sending.done.finally(progress.end);
    if (flags.json) printJson(result);
    else console.log(inertText(`sent ${result.name} (${result.size} bytes) to ${result.received.join(', ')}`));
    // A room member who failed (not one who declined) makes the run a failure: someone wanted it.
    const failed = result.missed.find((m) => m.status === 'failed');
    if (failed) throw new ParlorError(failed.code !== undefined && isErrorCode(failed.code) ? failed.code : 'TRANSFER_CANCELLED', `${failed.name}: ${failed.message ?? 'failed'}`);
  } finally {
    chat.close();
  }
  process.exit(0);
}

/** Progress on stderr: one line redrawn on a terminal, a line every few seconds otherwise. */
function progressLine(): { draw: (p: TransferProgress) => void; note: (text: string) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  let lastLineAt = 0;
  let drawn = false;
  const text = (p: TransferProgress) => {
    const percent = p.total === 0 ? 100 : Math.floor((p.bytes / p.total) * 100);
    const eta = p.etaMs === undefined ? '' : `, ${Math.ceil(p.etaMs / 1000)} s left`;
    return `parlor: sent ${formatBytes(p.bytes)} of ${formatBytes(p.total)} (${percent}%) at ${formatBytes(p.rate)}/s${eta}`;
  };
  return {
    draw: (p) => {
      if (tty) {
        process.stderr.write(`\r\x1b[K${text(p)}`);
        drawn = true;
      } else if (Date.now() - lastLineAt >= 2000 || p.bytes === p.total) {
        lastLineAt = Date.now();
        process.stderr.write(`${text(p)}\n`);
      }
    },
    note: (line) => {
      if (drawn) process.stderr.write('\n');
      drawn = false;
      process.stderr.write(`parlor: ${line}\n`);
    },
    end: () => {
      if (drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

