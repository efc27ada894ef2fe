import type { Command } from 'commander';
import type { ChatClient } from '../client/chat-client.ts';
import { inertText } from '../shared/inert-text.ts';
import { openLink } from '../client/open-link.ts';
import { saveReceivedImage } from '../client/received-images.ts';
import { isCommandLine } from '../commands/registry.ts';
import { defaultDataDir } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { addClientFlags, connectFromFlags, type ClientFlags } from './client-flags.ts';
import { exitWithError, printJson } from './output.ts';

interface SendFlags extends ClientFlags {
  room?: string;
  roomPassword?: string;
  to?: string;
  json?: boolean;
  open: boolean;
  op?: string;
}

export function registerSend(program: Command): void {
  addClientFlags(
    program
      .command('send')
      .description(
        'log in, send one message to a room (default lobby) or a user, wait for the server to store it, print its id; ' +
          'a line starting with ! is a bot command, whose reply (for you alone) is printed',
      )
      .argument('<text...>', 'the message, or a bot command such as !help'),
  )
    .option('--room <room>', 'the room to send to (default: lobby)')
    .option('--room-password <pw>', "the room's own password, if it has one")
    .option('--to <user>', 'send a direct message to this user instead')
    .option('--json', 'print {"id":...,"ts":...} (or the bot\'s reply) as JSON')
    .option('--no-open', "print a bot's link (!enlightenme) instead of opening it in the browser")
    .option('--op <password>', 'become operator first (for !kick, !ban, !unban, !announce)')
    .action((words: string[], flags: SendFlags) => send(words.join(' '), flags).catch(exitWithError));
}

async function send(text: string, flags: SendFlags): Promise<void> {
  if (flags.to !== undefined && flags.room !== undefined) throw new ParlorError('BAD_OPTION', 'give --room or --to, not both');
  const chat = await connectFromFlags(flags);
  try {
    if (flags.op !== undefined) await chat.op(flags.op);
    if (isCommandLine(text)) {
      if (flags.to !== undefined) throw new ParlorError('BAD_OPTION', 'a bot command goes to the bot, not --to a user');
      await runCommand(chat, text, flags);
    } else {
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
    }
  } finally {
    chat.close();
  }
  process.exit(0);
}

/** Prints the bot's reply: text as it is (made inert), a picture saved and its path, a link opened. */
async function runCommand(chat: ChatClient, line: string, flags: SendFlags): Promise<void> {
  const { command, reply } = await chat.command(line, flags.room);
  switch (reply.kind) {
    case 'text':
      if (flags.json) printJson({ command, reply });
      else console.log(inertText(reply.text, { keepNewlines: true }));
      return;
    case 'image': {
      const path = await saveReceivedImage(reply, flags.data ?? defaultDataDir());
      if (flags.json) printJson({ command, reply: { kind: 'image', name: reply.name, mime: reply.mime, width: reply.width, height: reply.height, path } });
      else console.log(`picture saved: ${path}`);
      return;
    }
    case 'link': {
      const outcome = flags.open ? await openLink(reply.url) : { opened: false };
      if (flags.json) printJson({ command, reply: { ...reply, opened: outcome.opened } });
      else console.log(inertText(reply.text === undefined ? reply.url : `${reply.text}: ${reply.url}`));
      if (flags.open && !outcome.opened) process.stderr.write(`parlor: could not open a browser (${outcome.problem ?? 'unknown'}); the link is above\n`);
      return;
    }
  }
}
