import type { Command } from 'commander';
import { ParlorError } from '../protocol/errors.ts';
import { addClientFlags, connectFromFlags, type ClientFlags } from './client-flags.ts';
import { exitWithError, printJson } from './output.ts';

interface SendFlags extends ClientFlags {
  room?: string;
  roomPassword?: string;
  to?: string;
  json?: boolean;
}

export function registerSend(program: Command): void {
  addClientFlags(
    program
      .command('send')
      .description('log in, send one message to a room (default lobby) or a user, wait for the server to store it, print its id')
      .argument('<text...>', 'the message'),
  )
    .option('--room <room>', 'the room to send to (default: lobby)')
    .option('--room-password <pw>', "the room's own password, if it has one")
    .option('--to <user>', 'send a direct message to this user instead')
    .option('--json', 'print {"id":...,"ts":...} instead of the bare id')
    .action((words: string[], flags: SendFlags) => send(words.join(' '), flags).catch(exitWithError));
}

async function send(text: string, flags: SendFlags): Promise<void> {
  if (flags.to !== undefined && flags.room !== undefined) throw new ParlorError('BAD_OPTION', 'give --room or --to, not both');
  const chat = await connectFromFlags(flags);
  try {
    let ack: { id: number; ts: number };
    if (flags.to !== undefined) {
      ack = await chat.dm(flags.to, text);
    } else {
      const room = flags.room ?? 'lobby';
      await chat.join(room, flags.roomPassword);
      ack = await chat.say(room, text);
    }
    if (flags.json) printJson(ack);
    else console.log(ack.id);
  } finally {
    chat.close();
  }
  process.exit(0);
}
