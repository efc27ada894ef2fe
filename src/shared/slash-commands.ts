// What a line typed in the chat room means. Plain text goes to the conversation on screen, `!...`
// to the bot, `@USER TEXT` is a direct message, and `/...` is a chat control. The names of the
// programs parlor grows from (../shared/seeds/) work as aliases, in any letter case: /showgroups,
// /showgroupmembers, /list, /DisplayUsers, /DisplayAllUsers, /Name. Pure: tested without a terminal.

import { isFingerprint } from '../crypto/fingerprint.ts';
import { parsePathArgument } from './file-paths.ts';
import { BELL_MODES, type BellMode } from './settings.ts';

export type ChatAction =
  | { kind: 'say'; text: string }
  | { kind: 'bot'; text: string }
  | { kind: 'dm'; to: string; text: string }
  | { kind: 'group'; room: string; text: string }
  | { kind: 'join'; room: string; password?: string }
  | { kind: 'create'; room: string; password?: string; secret?: boolean }
  | { kind: 'leave'; room?: string }
  | { kind: 'rooms' }
  | { kind: 'members'; room?: string }
  | { kind: 'users' }
  | { kind: 'allusers' }
  | { kind: 'name' }
  | { kind: 'block'; name: string }
  | { kind: 'unblock'; name: string }
  | { kind: 'blocked' }
  | { kind: 'export'; path?: string }
  | { kind: 'theme'; name?: string }
  | { kind: 'bell'; mode?: BellMode }
  | { kind: 'op'; password: string }
  | { kind: 'whois'; name: string }
  | { kind: 'trust'; name: string; fingerprint?: string }
  | { kind: 'help' }
  | { kind: 'quit' }
  | { kind: 'file'; to: string; path: string }
  | { kind: 'groupfile'; room: string; path: string }
  /** A transfer by the number its line shows; without one, the latest that can take the verb. */
  | { kind: 'accept' | 'decline' | 'cancel'; id?: number }
  | { kind: 'transfers' }
  | { kind: 'nothing' }
  | { kind: 'error'; message: string };

interface CommandSpec {
  names: readonly string[];
  usage: string;
  summary: string;
  parse: (args: string[], rest: (from: number) => string) => ChatAction | string;
}

/** A string from parse means a usage problem; the usage line is added to it. */
const COMMANDS: readonly CommandSpec[] = [
  { names: ['help'], usage: '/help', summary: 'this list', parse: () => ({ kind: 'help' }) },
  {
    names: ['join'], usage: '/join ROOM [PASSWORD]', summary: 'join a room (its password if it has one)',
    parse: (a) => (a[0] ? { kind: 'join', room: room(a[0]), ...(a[1] !== undefined && { password: a[1] }) } : 'which room?'),
  },
  {
    names: ['create'], usage: '/create ROOM [PASSWORD] [--secret]', summary: 'make a room, with a password if given; --secret: end-to-end encrypted',
    parse: (a) => {
      // --secret may come anywhere; any other word starting with -- is a typo, not a password.
      const secret = a.some((w) => w.toLowerCase() === '--secret');
      const words = a.filter((w) => w.toLowerCase() !== '--secret');
      const unknown = words.find((w) => w.startsWith('--'));
      if (unknown !== undefined) return `no option ${unknown}`;
      if (words.length > 2) return 'a room and at most one password';
      return words[0] ? { kind: 'create', room: room(words[0]), ...(words[1] !== undefined && { password: words[1] }), ...(secret && { secret }) } : 'which room?';
    },
  },
  { names: ['leave', 'part'], usage: '/leave [ROOM]', summary: 'leave this room (or ROOM)', parse: (a) => ({ kind: 'leave', ...(a[0] !== undefined && { room: room(a[0]) }) }) },
  { names: ['rooms', 'showgroups'], usage: '/rooms', summary: 'every room on the server', parse: () => ({ kind: 'rooms' }) },
  {
    names: ['members', 'showgroupmembers'], usage: '/members [ROOM]', summary: "who is in this room (or ROOM), with each one's last message",
    parse: (a) => ({ kind: 'members', ...(a[0] !== undefined && { room: room(a[0]) }) }),
  },
  {
    names: ['msg', 'dm'], usage: '/msg USER TEXT', summary: 'a direct message (also: @USER TEXT)',
    parse: (a, rest) => (a[0] && rest(1) ? { kind: 'dm', to: user(a[0]), text: rest(1) } : 'who, and what?'),
  },
  {
    names: ['group'], usage: '/group ROOM TEXT', summary: 'say TEXT in ROOM without switching to it',
    parse: (a, rest) => (a[0] && rest(1) ? { kind: 'group', room: room(a[0]), text: rest(1) } : 'which room, and what?'),
  },
  { names: ['users', 'list', 'displayusers'], usage: '/users', summary: 'who is online, with last-message times', parse: () => ({ kind: 'users' }) },
  { names: ['allusers', 'displayallusers'], usage: '/allusers', summary: 'everyone the server knows, online or not', parse: () => ({ kind: 'allusers' }) },
  { names: ['name'], usage: '/name', summary: 'your name on this server', parse: () => ({ kind: 'name' }) },
  { names: ['block'], usage: '/block USER', summary: 'no messages to or from USER', parse: (a) => (a[0] ? { kind: 'block', name: user(a[0]) } : 'whom?') },
  { names: ['unblock'], usage: '/unblock USER', summary: 'undo /block', parse: (a) => (a[0] ? { kind: 'unblock', name: user(a[0]) } : 'whom?') },
  { names: ['blocked'], usage: '/blocked', summary: 'the users you blocked', parse: () => ({ kind: 'blocked' }) },
  { names: ['export'], usage: '/export [PATH]', summary: 'write this conversation to a text file', parse: (_a, rest) => ({ kind: 'export', ...(rest(0) !== '' && { path: rest(0) }) }) },
  { names: ['theme'], usage: '/theme [nord|dark|light|pure-black]', summary: 'switch colours (remembered)', parse: (a) => ({ kind: 'theme', ...(a[0] !== undefined && { name: a[0].toLowerCase() }) }) },
  {
    names: ['bell'], usage: '/bell [off|mentions|all]', summary: 'ring the terminal bell on DMs and mentions, on everything, or never',
    parse: (a) => {
      if (a[0] === undefined) return { kind: 'bell' };
      const mode = a[0].toLowerCase();
      return (BELL_MODES as readonly string[]).includes(mode) ? { kind: 'bell', mode: mode as BellMode } : 'off, mentions or all';
    },
  },
  { names: ['op'], usage: '/op PASSWORD', summary: "become operator with the server's operator password", parse: (a) => (a[0] ? { kind: 'op', password: a[0] } : 'the operator password?') },
  { names: ['whois'], usage: '/whois USER', summary: "USER's key fingerprint (compare it aloud), whether you know it, when seen", parse: (a) => (a[0] ? { kind: 'whois', name: user(a[0]) } : 'whom?') },
  {
    names: ['trust'], usage: '/trust USER [SHA256:…]',
    summary: "accept USER's new key after comparing fingerprints (held messages then open); with the fingerprint USER read you, only if it is that key",
    parse: (a) => {
      if (!a[0]) return 'whom?';
      if (a[1] === undefined) return { kind: 'trust', name: user(a[0]) };
      return isFingerprint(a[1]) ? { kind: 'trust', name: user(a[0]), fingerprint: a[1] } : 'a fingerprint is SHA256: and 43 characters, as /whois shows it';
    },
  },
  { names: ['quit', 'exit'], usage: '/quit', summary: 'leave parlor', parse: () => ({ kind: 'quit' }) },
  {
    names: ['file', 'sendfile'], usage: '/file USER PATH', summary: 'send a file to USER (the rest of the line is the path; ~ is your home)',
    parse: (a, rest) => withPath(a[0], rest(1), (path) => ({ kind: 'file', to: user(a[0]!), path }), 'to whom, and which file?'),
  },
  {
    names: ['groupfile'], usage: '/groupfile ROOM PATH', summary: 'send a file to everyone in ROOM who accepts it',
    parse: (a, rest) => withPath(a[0], rest(1), (path) => ({ kind: 'groupfile', room: room(a[0]!), path }), 'to which room, and which file?'),
  },
  { names: ['accept'], usage: '/accept [N]', summary: 'receive file N that waits for your answer (default: the latest)', parse: (a) => transferVerb('accept', a) },
  { names: ['decline'], usage: '/decline [N]', summary: 'refuse file N (the sender is told)', parse: (a) => transferVerb('decline', a) },
  { names: ['cancel'], usage: '/cancel [N]', summary: 'stop file transfer N, sending or receiving (default: the latest)', parse: (a) => transferVerb('cancel', a) },
  { names: ['transfers', 'files'], usage: '/transfers', summary: 'file transfers under way and waiting for an answer', parse: () => ({ kind: 'transfers' }) },
];

/** Every command name and alias, with a leading slash: for completion. */
export const COMMAND_NAMES: readonly string[] = COMMANDS.flatMap((c) => c.names.map((n) => `/${n}`));

/** The /help text: one line per command, aliases named. */
export function helpLines(): string[] {
  return [
    ...COMMANDS.map((c) => `${c.usage} · ${c.summary}${c.names.length > 1 ? ` (also ${c.names.slice(1).map((n) => '/' + n).join(', ')})` : ''}`),
    '@USER TEXT · a direct message',
    "!COMMAND · ask the server's bot (!help lists its commands); only you see the answer",
    '//TEXT · say a line that starts with /',
  ];
}

export function parseChatLine(line: string): ChatAction {
  const text = line.replace(/\s+$/, '');
  if (text.trim() === '') return { kind: 'nothing' };
  if (text.startsWith('//')) return { kind: 'say', text: text.slice(1) };
  if (/^![a-z]/i.test(text)) return { kind: 'bot', text: text.trim() };
  const at = /^@(\S+)\s+([\s\S]+)$/.exec(text);
  if (at) return { kind: 'dm', to: at[1]!, text: at[2]! };
  if (!text.startsWith('/')) return { kind: 'say', text };

  const words = tokens(text.slice(1));
  const name = (words[0]?.text ?? '').toLowerCase();
  const spec = COMMANDS.find((c) => c.names.includes(name));
  if (!spec) return { kind: 'error', message: `no command /${words[0]?.text ?? ''}: /help lists them (a line starting with / can be said as //...)` };
  const args = words.slice(1).map((w) => w.text);
  const rest = (from: number) => {
    const word = words[from + 1];
    return word === undefined ? '' : text.slice(1 + word.start).trim();
  };
  const parsed = spec.parse(args, rest);
  return typeof parsed === 'string' ? { kind: 'error', message: `${parsed} (${spec.usage})` } : parsed;
}

function tokens(text: string): Array<{ text: string; start: number }> {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], start: m.index }));
}

function withPath(first: string | undefined, rest: string, make: (path: string) => ChatAction, missing: string): ChatAction | string {
  if (first === undefined || rest === '') return missing;
  const parsed = parsePathArgument(rest);
  return 'path' in parsed ? make(parsed.path) : parsed.problem;
}

/** `/cancel 3`, `/cancel #3` or `/cancel` (the latest). */
function transferVerb(kind: 'accept' | 'decline' | 'cancel', args: string[]): ChatAction | string {
  if (args[0] === undefined) return { kind };
  const id = /^#?(\d{1,9})$/.exec(args[0]);
  return id ? { kind, id: Number(id[1]) } : 'the number shown on the transfer, as in [3]';
}

/** `#lobby` and `lobby` name the same room; `@bob` and `bob` the same user. */
function room(word: string): string {
  return word.replace(/^#/, '');
}

function user(word: string): string {
  return word.replace(/^@/, '');
}
