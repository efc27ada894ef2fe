import type { Command } from 'commander';
import type { ChatClient } from '../client/chat-client.ts';
import { inertName, inertText } from '../shared/inert-text.ts';
import { departureWords } from '../protocol/operator-notices.ts';
import { e2eOf, type DeliveredMessage } from '../client/e2e/e2e.ts';
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
    .option('--json', 'one JSON object a line: {"type":"message","id","room"|"to","from","text","ts","e2e": {"state": "none"|"verified"|"not-sealed-to-you"|"rejected", ...}}, joined, left, announcement')
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
    else console.log(describeEvent(event, chat));
    if (event.type === 'message' && flags.count !== undefined && ++printed >= flags.count) finish();
  };
  if (flags.timeout !== undefined) setTimeout(finish, flags.timeout * 1000).unref();
  chat.on('disconnected', ({ reason }) => process.stderr.write(inertText(`parlor: connection lost (${reason.code}): ${reason.message}`) + '\n'));
  chat.on('reconnecting', ({ attempt, delayMs }) => process.stderr.write(`parlor: reconnecting (attempt ${attempt}, in ${delayMs} ms)\n`));
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

/**
 * Sealed messages are printed opened (the envelope itself is of no use to a script), and every
 * message says how it fared end to end: `"e2e": {"state": "none"}` for one that was not sealed.
 */
function withoutEnvelope(event: DeliveredMessage | JoinedMessage | LeftMessage | AnnouncementMessage): object {
  if (event.type !== 'message') return event;
  const { sealed: _sealed, ...opened } = event;
  return { ...opened, e2e: e2eOf(event) };
}

/** One line for a person; everything that came from the network is made inert first. */
export function describeEvent(event: DeliveredMessage | JoinedMessage | LeftMessage | AnnouncementMessage, chat: ChatClient): string {
  if (event.type === 'announcement') return inertText(`** announcement from ${inertName(event.from)}: ${event.text}`);
  if (event.type === 'joined') return inertText(`-- ${inertName(event.name)} joined #${inertName(event.room)}`);
  if (event.type === 'left') return inertText(`-- ${departureWords({ ...event, name: inertName(event.name), room: inertName(event.room) })}`);
  const e2e = e2eOf(event);
  const from = inertName(event.from);
  const room = event.room === undefined ? undefined : `#${inertName(event.room)}`;
  // A verified message is dated by its sender's signed clock; the server's date only if they differ.
  const sentAt = (e2e.state === 'verified' || e2e.state === 'not-sealed-to-you') && typeof e2e.sentAt === 'number' ? e2e.sentAt : event.ts;
  const time = `[${clock(sentAt)}]`;
  const redated = 'timeMismatch' in e2e && e2e.timeMismatch === true ? ` (!! the server dates it ${dateTime(event.ts)}; its sender signed ${dateTime(sentAt)})` : '';
  if (e2e.state === 'rejected') return inertText(`${time} !! a sealed message shown as from ${from} was refused: ${e2e.code}: ${e2e.reason}`);
  if (e2e.state === 'not-sealed-to-you') {
    // A room's later members cannot read what came before; a DM has no "before": it was sealed to other keys.
    if (room !== undefined) return inertText(`${time} ${room} <${from}> (sealed before you joined: not readable)${redated}`);
    return inertText(`${time} ${from} → ${inertName(event.to ?? '')}: (sealed, but not to this key: not readable)${redated}`);
  }
  if (room !== undefined) {
    // In a secret room a line that was not sealed is not the room's: the server could have written it.
    if (e2e.state === 'none' && chat.isSecretRoom(event.room!)) return inertText(`${time} ${room} !! NOT END-TO-END (not sealed; the server could have written it): <${from}> ${event.text}`);
    return inertText(`${time} ${room} <${from}> ${event.text}${redated}`);
  }
  const who = event.from === chat.name ? `you → ${inertName(event.to ?? '')}` : `${from} → you`;
  const marker =
    e2e.state === 'verified'
      ? ''
      : e2e.state === 'none' && e2e.sshUser !== undefined
        ? ` [NOT END-TO-END: ${inertName(e2e.sshUser)} is connected over ssh; the server reads it]`
        : ' [NOT END-TO-END: not sealed; the server could read it or have written it]';
  return inertText(`${time} ${who}${marker}: ${event.text}${redated}`);
}

/** hh:mm:ss today, or the date too. */
function clock(ms: number): string {
  const time = new Date(ms).toTimeString().slice(0, 8);
  return new Date(ms).toDateString() === new Date().toDateString() ? time : `${dateOf(ms)} ${time}`;
}

function dateTime(ms: number): string {
  return `${dateOf(ms)} ${new Date(ms).toTimeString().slice(0, 8)}`;
}

function dateOf(ms: number): string {
  const date = new Date(ms);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;
}
