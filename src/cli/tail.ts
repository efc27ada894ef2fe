import type { Command } from 'commander';
import type { ChatClient } from '../client/chat-client.ts';
import { inertText } from '../shared/inert-text.ts';
import type { DeliveredMessage } from '../client/e2e.ts';
import type { AnnouncementMessage, JoinedMessage, LeftMessage } from '../protocol/messages.ts';
import { addClientFlags, connectFromFlags, type ClientFlags } from './client-flags.ts';
import { exitWithError, integerFlag, printJson } from './output.ts';
import { receiveFiles, type TailFileFlags } from './tail-files.ts';

interface TailFlags extends ClientFlags, TailFileFlags {
  room?: string;
  roomPassword?: string;
  history: number;
  json?: boolean;
  count?: number;
  timeout?: number;
}

export function registerTail(program: Command): void {
  addClientFlags(program.command('tail').description('log in and print a room and your direct messages: history first, then live'))
    .option('--room <room>', 'the room to follow (default: lobby)')
    .option('--room-password <pw>', "the room's own password, if it has one")
    .option('--history <n>', 'how many past messages to print first', integerFlag('--history'), 50)
    .option('--json', 'one JSON object a line: {"type":"message","id","room"|"to","from","text","ts","e2e"?}, joined, left, announcement')
    .option('--count <n>', 'exit after this many messages (history included)', integerFlag('--count'))
    .option('--timeout <s>', 'exit after this many seconds', integerFlag('--timeout'))
    .option('--accept-files <dir>', 'receive files offered to you into this dir (without it, offers are declined)')
    .option('--max-file-bytes <n>', 'decline files larger than this (default: 1 GiB)', integerFlag('--max-file-bytes'))
    .action((flags: TailFlags) => tail(flags).catch(exitWithError));
}

async function tail(flags: TailFlags): Promise<void> {
  // A tail is meant to keep running: it reconnects, and says so on stderr.
  const chat = await connectFromFlags(flags, true);
  receiveFiles(chat, flags);
  let printed = 0;
  let finishing = false;
  const finish = () => {
    finishing = true;
    chat.close();
    process.exit(0);
  };
  const print = (event: DeliveredMessage | JoinedMessage | LeftMessage | AnnouncementMessage) => {
    if (flags.json) printJson(withoutEnvelope(event));
    else console.log(describe(event, chat));
    if (event.type === 'message' && flags.count !== undefined && ++printed >= flags.count) finish();
  };
  if (flags.timeout !== undefined) setTimeout(finish, flags.timeout * 1000).unref();
  chat.on('reconnecting', ({ attempt, delayMs }) => process.stderr.write(`parlor: connection lost; reconnecting (attempt ${attempt}, in ${delayMs} ms)\n`));
  chat.on('reconnected', () => process.stderr.write('parlor: reconnected\n'));
  // End-to-end: a peer whose key changed is never accepted silently.
  chat.on('peerKeyChanged', (change) => process.stderr.write(`parlor: E2E_PEER_KEY_CHANGED: ${change.warning}\n`));
  chat.on('closed', ({ reason }) => {
    if (!finishing) exitWithError(reason);
  });

  // Listening before the join: live events in the same frame as its reply are queued, not lost.
  let queued: Array<DeliveredMessage | JoinedMessage | LeftMessage> | undefined = [];
  const onEvent = (event: DeliveredMessage | JoinedMessage | LeftMessage) => (queued ? queued.push(event) : print(event));
  chat.on('message', onEvent);
  chat.on('joined', onEvent);
  chat.on('left', onEvent);
  chat.on('announcement', print);
  const joined = await chat.join(flags.room ?? 'lobby', flags.roomPassword);
  const history = [...joined.history, ...chat.direct].sort((a, b) => a.id - b.id);
  for (const message of flags.history > 0 ? history.slice(-flags.history) : []) print(message);
  const newest = history.at(-1)?.id ?? 0;
  const live = queued;
  queued = undefined;
  for (const event of live) if (event.type !== 'message' || event.id > newest) print(event);
  // Runs until --count, --timeout, Ctrl-C, or the connection is closed for good.
  await new Promise(() => {});
}

/** Sealed messages are printed opened: the envelope itself is of no use to a script. */
function withoutEnvelope(event: DeliveredMessage | JoinedMessage | LeftMessage | AnnouncementMessage): object {
  if (event.type !== 'message' || event.sealed === undefined) return event;
  const { sealed: _sealed, ...opened } = event;
  return opened;
}

/** One line for a person; everything that came from the network is made inert first. */
function describe(event: DeliveredMessage | JoinedMessage | LeftMessage | AnnouncementMessage, chat: ChatClient): string {
  if (event.type === 'announcement') return inertText(`** announcement from ${event.from}: ${event.text}`);
  if (event.type === 'joined') return inertText(`-- ${event.name} joined #${event.room}`);
  if (event.type === 'left') return inertText(`-- ${event.name} ${event.reason === 'left' ? 'left' : 'disconnected from'} #${event.room}`);
  const time = new Date(event.ts).toTimeString().slice(0, 8);
  if (event.e2e?.state === 'rejected') return inertText(`[${time}] !! a sealed message shown as from ${event.from} was refused: ${event.e2e.code}: ${event.e2e.reason}`);
  if (event.e2e?.state === 'not-sealed-to-you') {
    return inertText(`[${time}] ${event.room !== undefined ? `#${event.room} ` : ''}<${event.from}> (sealed before you joined: not readable)`);
  }
  if (event.room !== undefined) return inertText(`[${time}] #${event.room} <${event.from}> ${event.text}`);
  return inertText(event.from === chat.name ? `[${time}] you → ${event.to}: ${event.text}` : `[${time}] ${event.from} → you: ${event.text}`);
}
