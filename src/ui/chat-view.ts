// How the chat room's parts look, as tagged text from the model: messages with time and per-user
// colour, notices, the bot's private answers, the room list with unread counts, the member list
// with last-message times, and the status bar. Everything that came from the network goes through
// safeText here, and nowhere else needs to remember to.

import { e2eOf, type DeliveredMessage } from '../client/e2e/e2e.ts';
import { inertName, inertText } from '../shared/inert-text.ts';
import type { ChatStatus } from '../shared/chat-status.ts';
import { conversationTitle, type Conversation, type ConversationList, type Entry, type Member, type PictureEntry } from '../shared/conversations.ts';
import { membersByName } from '../shared/members.ts';
import type { ImageCells } from './image-cells.ts';
import { clock, lastSpoke, NOTICE_INDENT, noticeLines } from './notice-lines.ts';
import { escapeTags, safeName, safeText } from './safe-text.ts';
import { safeFold } from './text-layout.ts';
import { paint, userColor, type Theme } from '../shared/themes.ts';
import { transferCountText, transferLines } from './transfer-view.ts';

// Where they lived before notice-lines.ts and src/shared/notices.ts: importers of chat-view.ts keep finding them here.
/** The bot's picture on a terminal: `rows` for blessed (256 colours); `cells` for drawing the same picture in 24-bit over it. */
export interface TerminalPicture extends PictureEntry {
  rows: string[];
  cells?: ImageCells;
}
export type TerminalEntry = Entry<TerminalPicture>;
/** The chat room's model (src/shared/conversations.ts) with the terminal's pictures. */
export type TerminalConversations = ConversationList<TerminalPicture>;

export { noticeLines } from './notice-lines.ts';
export { peerKeyChangedWarning } from '../shared/notices.ts';

/** A date and time, for a line whose sender's signed time and the server's disagree. */
function dateTime(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')} ${clock(ts)}`;
}

/** When an entry happened: for the day-change lines between entries. */
export function entryTime(entry: TerminalEntry): number {
  return entry.kind === 'message' ? entry.message.ts : entry.ts;
}

/** Columns before a bot line's text: the time's width, then "│ ". */
const BOT_INDENT = 8;

/**
 * An entry's lines, one screen line each, folded to `width` (the message pane's text columns).
 * Column 0 is a gutter: the bot's lines, and only they, carry a bar there. Every other line starts
 * with a space and text never wraps back to column 0, so nothing a user types can look like the bot.
 */
export function entryLines(entry: TerminalEntry, theme: Theme, selfName: string, width = 1000): string[] {
  const gutter = entry.kind === 'bot' || entry.kind === 'image' ? paint(theme.bot, '▌') : ' ';
  return entryBody(entry, theme, selfName, width - 1).map((line) => gutter + line);
}

function entryBody(entry: TerminalEntry, theme: Theme, selfName: string, width: number): string[] {
  switch (entry.kind) {
    case 'message': {
      const { message } = entry;
      if (message.e2e?.state === 'not-sealed-to-you') return []; // counted in a notice of their own
      if (message.e2e?.state === 'rejected') return rejectedLines(message.from, message.e2e.code, message.ts, theme, width);
      const own = message.from.toLowerCase() === selfName.toLowerCase();
      const name = paint(own ? theme.accent : userColor(theme, message.from), `{bold}${safeName(message.from)}{/bold}`);
      const separator = entry.mention ? ' ▸' : ':';
      // End to end is a fact about each line: one that was not sealed says so where it stands.
      const unsealedWords = entry.notEndToEnd ? notEndToEndWords(message) : '';
      const e2e = message.e2e;
      const sentAt = e2e?.state === 'verified' && typeof e2e.sentAt === 'number' ? e2e.sentAt : message.ts;
      const redatedWords = e2e?.state === 'verified' && e2e.timeMismatch === true ? ` !! sent ${dateTime(sentAt)}; the server dates it ${dateTime(message.ts)}` : '';
      const marks = (unsealedWords === '' ? '' : paint(theme.warning, safeText(unsealedWords))) + (redatedWords === '' ? '' : paint(theme.warning, redatedWords));
      // "HH:MM name: ": wrapped lines continue under the text, or under the name when a long name
      // (or a warning on the line) would leave the text too narrow a column.
      const prefix = 6 + inertName(message.from).length + unsealedWords.length + redatedWords.length + separator.length + 1;
      const indent = prefix <= Math.floor(width / 3) ? prefix : 6;
      const body = safeFold(message.text, Math.max(8, width - prefix), width - indent).map((line) => (entry.mention ? `{bold}${paint(theme.mention, line)}{/bold}` : line));
      const first = `${paint(theme.dim, clock(sentAt))} ${name}${marks}${entry.mention ? paint(theme.mention, separator) : separator} ${body[0] ?? ''}`;
      // Pushed one by one, not spread: a spread of the mapped rest (empty for a one-line message)
      // made V8 throw away this function's optimised code once a new sender spoke (wrong map),
      // and the server compiled it again (~40 ms) while 200 SSH screens waited.
      const lines = [first];
      for (let i = 1; i < body.length; i++) lines.push(' '.repeat(indent) + body[i]);
      return lines;
    }
    case 'notice': {
      const lines = noticeLines(entry.text, width - NOTICE_INDENT);
      if (entry.tone === 'alarm') {
        // The headline in reverse colours: it must not scroll past unseen among chat lines.
        return lines.map((line, i) => `${paint(theme.dim, i === 0 ? clock(entry.ts) : '     ')} {bold}${paint(theme.error, i === 0 ? `!! {inverse}${line}{/inverse}` : `!! ${line}`)}{/bold}`);
      }
      if (entry.tone === 'announce') {
        // An operator's announcement: its own colour, in bold, behind a mark of its own.
        return lines.map((line, i) => `${paint(theme.dim, i === 0 ? clock(entry.ts) : '     ')} {bold}${paint(theme.announce, `${i === 0 ? '»»' : '  '} ${line}`)}{/bold}`);
      }
      const color = entry.tone === 'error' ? theme.error : entry.tone === 'warning' ? theme.warning : entry.tone === 'join' ? theme.ok : theme.dim;
      const mark = entry.tone === 'join' ? '→ ' : entry.tone === 'leave' ? '← ' : entry.tone === 'error' ? '✗ ' : '--';
      return lines.map((line, i) => `${paint(theme.dim, i === 0 ? clock(entry.ts) : '     ')} ${paint(color, `${i === 0 ? mark : '  '} ${line}`)}`);
    }
    case 'bot': {
      return [botHead(entry.ts, entry.command, theme, width), ...safeFold(entry.text, width - BOT_INDENT).map((line) => `      ${paint(theme.bot, '│')} ${line}`)];
    }
    case 'transfer':
      return transferLines(entry.line, entry.ts, theme, width);
    case 'image': {
      const saved = entry.path === '' ? [] : safeFold('picture saved: ' + entry.path, width - 6).map((line) => `      ${paint(theme.dim, line)}`);
      return [botHead(entry.ts, entry.command, theme, width), ...entry.rows.map((row) => `      ${row}`), ...saved];
    }
  }
}

/** "HH:MM bot ▸ !command (only you)" on one line: a long command is cut with an ellipsis. */
function botHead(ts: number, command: string, theme: Theme, width: number): string {
  const room = Math.max(4, width - 'HH:MM bot ▸ '.length - ' (only you)'.length);
  const shown = inertText(command);
  const cut = shown.length > room ? shown.slice(0, room - 1) + '…' : shown;
  return `${paint(theme.dim, clock(ts))} ${paint(theme.bot, `{bold}bot{/bold} ▸ ${safeText(cut)}`)} ${paint(theme.dim, '(only you)')}`;
}

/**
 * A sealed message that failed a check: said in place, inert, with its code; never an empty line.
 * One held because its sender's key changed says how to let it through.
 */
function rejectedLines(from: string, code: string, ts: number, theme: Theme, width: number): string[] {
  const text = code === 'E2E_PEER_KEY_CHANGED'
    ? `message from ${from} held: ${from}'s key changed (compare with /whois ${from}, then /trust ${from})`
    : `message from ${from} could not be verified: ${code}`;
  return noticeLines(text, width - NOTICE_INDENT).map((line, i) => `${paint(theme.dim, i === 0 ? clock(ts) : '     ')} ${paint(theme.error, `${i === 0 ? '✗ ' : '  '} ${line}`)}`);
}

/** The message pane's label: the conversation, and whether the server can read it. */
export function conversationHeader(conversation: Conversation): string {
  if (conversation.kind === 'status') return `status of ${conversation.name}: replies and server notices`;
  // Whether a line is end to end is said on the line (a server can slip in one that is not).
  if (conversation.kind === 'dm') return `${conversationTitle(conversation)} · direct`;
  return conversation.secret ? `${conversationTitle(conversation)} · secret, end-to-end` : conversationTitle(conversation);
}

/** `#room` or `@user`, inert, with any invisible character in the name shown (<U+034F>). */
export function roomListText(conversations: readonly Conversation[], active: string | undefined, theme: Theme, width: number): string {
  const status = conversations.filter((c) => c.kind === 'status');
  const rooms = conversations.filter((c) => c.kind === 'room');
  const direct = conversations.filter((c) => c.kind === 'dm');
  const line = (c: Conversation) => {
    const count = c.unread > 0 ? ` (${c.unread})` : '';
    const title = inertText(conversationTitle(c));
    // Secret rooms are marked; every direct conversation is end-to-end, so those are not. The mark
    // is spelt out where it fits beside a readable name, else shortened.
    const mark = c.kind !== 'room' || !c.secret ? '' : title.length + ' secret'.length + count.length <= width || width - count.length - ' secret'.length >= 8 ? ' secret' : ' sec';
    // The name gives way, with an ellipsis, so that the mark and the count stay on the line.
    const room = Math.max(2, width - mark.length - count.length);
    const text = `${escapeTags(title.length > room ? title.slice(0, room - 1) + '…' : title)}${mark}${count}`;
    if (c.key === active) return `{inverse}${text}{/inverse}`;
    if (c.mentioned) return `{bold}${paint(theme.mention, text)}{/bold}`;
    return c.unread > 0 ? `{bold}${text}{/bold}` : text;
  };
  return [
    ...status.map(line),
    ...rooms.map(line),
    '',
    paint(theme.dim, 'Direct'),
    ...(direct.length > 0 ? direct.map(line) : [paint(theme.dim, '@name text')]),
  ].join('\n');
}

/** `rows`: the lines the box shows; a longer list is cut there (its first line still counts everyone). */
export function memberListText(conversation: Conversation | undefined, theme: Theme, width: number, now = Date.now(), rows = Infinity): string {
  if (!conversation) return '';
  if (conversation.kind === 'status') return `${paint(theme.dim, 'Server')}\n${paint(theme.accent, safeName(conversation.name).slice(0, Math.max(3, width)))}`;
  if (conversation.kind === 'dm') return `${paint(theme.dim, 'Direct with')}\n${paint(userColor(theme, conversation.name), safeName(conversation.name))}`;
  const members = membersByName(conversation);
  const shownCount = Math.min(members.length, Math.max(0, rows - 1));
  // Drawn at every message of every screen, and nearly always the same: kept while the members
  // shown, the minutes they last spoke in (a time is shown to the minute: every time zone is a
  // whole number of minutes from UTC) and the day (which decides how a time is written) are.
  const day = localDayOf(now);
  const kept = memberTexts.get(conversation.members);
  if (kept && kept.members === members && kept.theme === theme && kept.width === width && kept.rows === rows && kept.day === day && sameMinutes(members, shownCount, kept.times)) return kept.text;
  const shown = members.slice(0, shownCount);
  const text = [
    paint(theme.dim, `${members.length} here`.padEnd(Math.max(0, width - 5)) + 'said'),
    ...shown.map((m) => {
      const when = lastSpoke(m.lastMessageAt, now);
      const name = safeName(m.name).slice(0, Math.max(3, width - when.length - 1));
      return `${paint(userColor(theme, m.name), name)}${' '.repeat(Math.max(1, width - 1 - name.length - when.length))}${paint(theme.dim, when)}`;
    }),
  ].join('\n');
  memberTexts.set(conversation.members, { members, theme, width, rows, day, times: shown.map((m) => minuteOf(m.lastMessageAt)), text });
  return text;
}

function minuteOf(ts: number | null): number | null {
  return ts === null ? null : Math.floor(ts / 60_000);
}

/** Whether the first `count` members last spoke in the minutes `times` says. */
function sameMinutes(members: readonly Member[], count: number, times: ReadonlyArray<number | null>): boolean {
  if (times.length !== count) return false;
  for (let i = 0; i < count; i++) if (minuteOf(members[i]!.lastMessageAt) !== times[i]) return false;
  return true;
}

/** The local day of a time, as Date.toDateString writes it; worked out once a minute (the day changes on a whole minute). */
let dayKept: { minute: number; day: string } = { minute: Number.NaN, day: '' };

function localDayOf(now: number): string {
  const minute = Math.floor(now / 60_000);
  if (minute !== dayKept.minute) dayKept = { minute, day: new Date(now).toDateString() };
  return dayKept.day;
}

/** The member list's last text per room's members, and what it was drawn from (memberListText). */
const memberTexts = new WeakMap<ReadonlyMap<string, Member>, { members: Member[]; theme: Theme; width: number; rows: number; day: string; times: Array<number | null>; text: string }>();

export function statusText(state: ChatStatus, theme: Theme, now = Date.now()): string {
  const connection = state.connection === 'connected'
    ? paint(theme.ok, '● connected')
    : state.connection === 'reconnecting'
      ? paint(theme.warning, `◌ reconnecting in ${Math.max(0, Math.ceil(((state.reconnectAt ?? now) - now) / 1000))} s (attempt ${state.attempt ?? 1})`)
      : paint(theme.error, `✗ disconnected${state.closedReason ? ': ' + safeText(state.closedReason) : ''}`);
  const hosting = state.hostedPassword ? ` · hosting, password ${safeText(state.hostedPassword)}` : '';
  const files = transferCountText(state.transfers);
  // The connection's state first, then transfers, so a narrow terminal never cuts them off.
  return ` ${connection}${files ? ' · ' + paint(theme.accent, files) : ''} · ${safeText(state.name)} @ ${safeText(state.serverName)} ${safeText(state.address)} · ${safeText(state.fingerprint.slice(0, 15))}… (${safeText(state.trust)})${hosting}`;
}

/** Why a line is not end to end, in words: over ssh the server reads it; else it could have written it. */
function notEndToEndWords(message: DeliveredMessage): string {
  const e2e = e2eOf(message);
  if (e2e.state === 'none' && e2e.sshUser !== undefined) return ` !! not end-to-end: ${inertName(e2e.sshUser)} is connected over ssh`;
  return message.room === undefined ? ' !! not end-to-end (the server could read it or have written it)' : " !! not end-to-end, not the room's (the server could have written it)";
}
