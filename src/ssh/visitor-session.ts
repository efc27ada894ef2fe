// One SSH session of a logged-in visitor: with a terminal, the chat room of the terminal UI drawn
// through the channel (terminal-mode.ts); without one, a line mode for scripts like ssh-chat's,
// one message a line in and one event a line out; or one command (`ssh ... -- send ROOM TEXT`,
// `ssh ... -- tail`).

import type { ServerChannel, Session as SshChannelSession } from 'ssh2';
import type { ChatClient } from '../client/chat-client.ts';
import { describeEvent } from '../cli/tail.ts';
import { inertText } from '../shared/inert-text.ts';
import { FileTransfers } from '../client/transfers/transfers.ts';
import { asParlorError } from '../protocol/errors.ts';
import type { BotReply } from '../protocol/messages.ts';
import { parseChatLine } from '../shared/slash-commands.ts';
import type { VisitorLogin } from './front-door.ts';
import { runTerminalMode, type TerminalSize } from './terminal-mode.ts';

const LINE_MODE_HELP = [
  'parlor over ssh, line mode: a line is said in the current room.',
  '/join ROOM [PASSWORD] · /leave [ROOM] · /msg USER TEXT · @USER TEXT · /rooms · /users · /quit · !help for the bot',
  'For the full chat room, connect with a terminal (ssh -t).',
].join('\n');

/** `server`: the SSH address the visitor reached, for the status bar. */
export function serveVisitorSession(session: SshChannelSession, login: VisitorLogin, server: { host: string; port: number }): void {
  let size: TerminalSize | undefined;
  session.on('pty', (accept, _reject, info) => {
    size = { cols: info.cols || 80, rows: info.rows || 24, term: info.term || 'xterm-256color' };
    accept?.();
  });
  session.on('env', (accept) => accept?.());
  session.on('shell', (accept) => {
    const channel = accept();
    if (!ready(channel, login)) return;
    if (size) runTerminalMode(channel, session, login.chat, login.identity, size, server);
    else void runLineMode(channel, login.chat);
  });
  session.on('exec', (accept, _reject, info) => {
    const channel = accept();
    if (!ready(channel, login)) return;
    void runCommand(channel, login.chat, info.command);
  });
}

/** A visitor the chat refused (NAME_TAKEN, BANNED, ...) is told why, in words, and let go. */
function ready(channel: ServerChannel, login: VisitorLogin): login is Extract<VisitorLogin, { chat: ChatClient }> {
  if ('chat' in login) return true;
  channel.stderr.write(`parlor: ${login.error.code}: ${login.error.message}\r\n`);
  channel.exit(1);
  channel.end();
  return false;
}

/** `ssh HOST -- send ROOM TEXT`, `-- send @USER TEXT`, `-- tail`. */
async function runCommand(channel: ServerChannel, chat: ChatClient, command: string): Promise<void> {
  const words = commandWords(command);
  const [verb, target, ...rest] = words;
  try {
    if (verb === 'tail') return await runLineMode(channel, chat, { readInput: false });
    if (verb === 'send' && target !== undefined && rest.length > 0) {
      const text = rest.join(' ');
      if (target.startsWith('@')) await chat.dm(target.slice(1), text);
      else {
        await chat.join(target.replace(/^#/, ''));
        if (text.startsWith('!')) writeBotReply(channel, (await chat.command(text, target.replace(/^#/, ''))).reply);
        else await chat.say(target.replace(/^#/, ''), text);
      }
      return finish(channel, chat, 0);
    }
    channel.stderr.write('parlor: commands over ssh: send ROOM TEXT, send @USER TEXT, tail (or none, for line mode)\n');
    finish(channel, chat, 2);
  } catch (error) {
    const coded = asParlorError(error, 'INTERNAL');
    channel.stderr.write(`parlor: ${coded.code}: ${coded.message}\n`);
    finish(channel, chat, 1);
  }
}

/**
 * History, then live events, one line each; unless `readInput` is false, each input line is said
 * in the current room or run as a command.
 */
async function runLineMode(channel: ServerChannel, chat: ChatClient, { readInput = true } = {}): Promise<void> {
  const print = (line: string): void => void channel.write(`${line}\n`);
  let room = 'lobby';
  chat.on('message', (message) => print(describeEvent(message, chat)));
  chat.on('joined', (notice) => print(describeEvent(notice, chat)));
  chat.on('left', (notice) => print(describeEvent(notice, chat)));
  chat.on('announcement', (notice) => print(describeEvent(notice, chat)));
  // No downloads dir: every offer is declined at once (the sender is told), and the visitor too.
  new FileTransfers(chat, {}).on('declined', (offer) => {
    print(inertText(`-- ${offer.from} offered you ${offer.offeredName} (${offer.size} bytes): declined, files cannot be received over ssh (use a parlor client)`));
  });
  chat.on('closed', (info) => {
    channel.stderr.write(`parlor: disconnected: ${info.reason.code}: ${info.reason.message}\n`);
    finish(channel, chat, 1);
  });
  const joined = await chat.join(room);
  for (const message of [...joined.history, ...chat.direct].sort((a, b) => a.id - b.id)) print(describeEvent(message, chat));
  if (!readInput) return;
  let pending = '';
  let queue = Promise.resolve();
  channel.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? '';
    for (const line of lines) {
      queue = queue.then(async () => {
        room = await runLine(line.trim(), room, chat, channel);
      });
    }
  });
  // End of input (a piped script ran out): what was said is acknowledged, then the session ends.
  channel.on('end', () => void queue.then(() => finish(channel, chat, 0)));
}

/** One line of line mode; returns the room that is current after it. */
async function runLine(line: string, room: string, chat: ChatClient, channel: ServerChannel): Promise<string> {
  const print = (text: string): void => void channel.write(`${text}\n`);
  const action = parseChatLine(line);
  try {
    switch (action.kind) {
      case 'nothing':
        return room;
      case 'say': {
        // Scripts read their own lines back, as everyone else sees them.
        const reply = await chat.say(room, action.text);
        print(describeEvent({ type: 'message', id: reply.id, room, from: chat.name, text: action.text, ts: Date.now() }, chat));
        return room;
      }
      case 'bot':
        writeBotReply(channel, (await chat.command(action.text, room)).reply);
        return room;
      case 'dm':
        await chat.dm(action.to, action.text);
        return room;
      case 'join': {
        const reply = await chat.join(action.room, action.password);
        print(`-- you are in #${reply.room}`);
        return reply.room;
      }
      case 'leave':
        await chat.leave(action.room ?? room);
        return 'lobby';
      case 'rooms':
        print((await chat.listRooms()).rooms.map((entry) => `#${entry.name} (${entry.members})`).join('  '));
        return room;
      case 'users':
        print((await chat.users()).users.map((user) => user.name).join('  '));
        return room;
      case 'quit':
        finish(channel, chat, 0);
        return room;
      case 'error':
        print(`!! ${action.message}`);
        return room;
      default:
        print(LINE_MODE_HELP);
        return room;
    }
  } catch (error) {
    const coded = asParlorError(error, 'INTERNAL');
    print(`!! ${coded.code}: ${coded.message}`);
    return room;
  }
}

/**
 * ssh sends the remote command as one string, its words joined by spaces after the local shell
 * took their quotes off (`ssh host -- send '#lobby' 'hi there'` arrives as `send #lobby hi there`).
 * Quotes that survive (typed inside other quotes) still group words; nothing else is special,
 * so `#lobby` is a room, not a shell comment.
 */
export function commandWords(command: string): string[] {
  return (command.match(/'[^']*'|"[^"]*"|\S+/g) ?? []).map((word) => (/^(['"]).*\1$/.test(word) ? word.slice(1, -1) : word));
}

function writeBotReply(channel: ServerChannel, reply: BotReply): void {
  const text =
    reply.kind === 'text'
      ? inertText(reply.text, { keepNewlines: true })
      : reply.kind === 'link'
        ? inertText(reply.text === undefined ? reply.url : `${reply.text}: ${reply.url}`)
        : `a picture (${reply.width}x${reply.height}): pictures show in the chat room (connect with ssh -t)`;
  channel.write(`${text}\n`);
}

function finish(channel: ServerChannel, chat: ChatClient, code: number): void {
  if (channel.destroyed) return;
  channel.exit(code);
  channel.end();
  chat.close();
}
