// How the chat room's parts look, as tagged text from the model: messages with time and per-user
// colour, notices, the bot's private answers, the room list with unread counts, the member list
// with last-message times, and the status bar. Everything that came from the network goes through
// safeText here, and nowhere else needs to remember to.

import type { Conversation, Entry } from './conversations.ts';
import { clock, lastSpoke, NOTICE_INDENT, noticeLines } from './notice-lines.ts';
import { safeText } from './safe-text.ts';
import { paint, userColor, type Theme } from './themes.ts';
import { transferCountText, type TransferCounts, transferLines } from './transfer-view.ts';

// Where they lived before notice-lines.ts: importers of chat-view.ts keep finding them here.
export { lastSpoke, noticeLines } from './notice-lines.ts';

/** `width`: the message pane's text columns; notices are folded to it. */
export function entryLines(entry: Entry, theme: Theme, selfName: string, width = 1000): string[] {
  switch (entry.kind) {
    case 'message': {
      const { message } = entry;
      if (message.e2e?.state === 'not-sealed-to-you') return []; // counted in a notice of their own
      if (message.e2e?.state === 'rejected') return rejectedLines(message.from, message.e2e.code, message.ts, theme, width);
      const own = message.from.toLowerCase() === selfName.toLowerCase();
      const name = paint(own ? theme.accent : userColor(theme, message.from), `{bold}${safeText(message.from)}{/bold}`);
      const lines = safeText(message.text, { keepNewlines: true }).replace(/\t/g, '    ').split('\n');
      const body = lines.map((line, i) => (i === 0 ? line : `      ${line}`)).join('\n');
      const text = entry.mention ? `{bold}${paint(theme.mention, body)}{/bold}` : body;
      return [`${paint(theme.dim, clock(message.ts))} ${name}${entry.mention ? paint(theme.mention, ' ▸') : ':'} ${text}`];
    }
    case 'notice': {
      const lines = noticeLines(entry.text, width - NOTICE_INDENT);
      if (entry.tone === 'alarm') {
        // The headline in reverse colours: it must not scroll past unseen among chat lines.
        return lines.map((line, i) => `${paint(theme.dim, i === 0 ? clock(entry.ts) : '     ')} {bold}${paint(theme.error, i === 0 ? `!! {inverse}${line}{/inverse}` : `!! ${line}`)}{/bold}`);
      }
      const color = entry.tone === 'error' ? theme.error : entry.tone === 'warning' ? theme.warning : entry.tone === 'join' ? theme.ok : theme.dim;
      const mark = entry.tone === 'join' ? '→ ' : entry.tone === 'leave' ? '← ' : entry.tone === 'error' ? '✗ ' : '--';
      return lines.map((line, i) => `${paint(theme.dim, i === 0 ? clock(entry.ts) : '     ')} ${paint(color, `${i === 0 ? mark : '  '} ${line}`)}`);
    }
    case 'bot': {
      const head = `${paint(theme.dim, clock(entry.ts))} ${paint(theme.bot, `{bold}bot{/bold} ▸ ${safeText(entry.command)}`)} ${paint(theme.dim, '(only you)')}`;
      const lines = safeText(entry.text, { keepNewlines: true }).replace(/\t/g, '    ').split('\n');
      return [head, ...lines.map((line) => `      ${paint(theme.bot, '│')} ${line}`)];
    }
    case 'transfer':
      return transferLines(entry.line, entry.ts, theme, width);
    case 'image': {
      const head = `${paint(theme.dim, clock(entry.ts))} ${paint(theme.bot, `{bold}bot{/bold} ▸ ${safeText(entry.command)}`)} ${paint(theme.dim, '(only you)')}`;
      return [head, ...entry.rows.map((row) => `      ${row}`), `      ${paint(theme.dim, 'picture saved: ' + safeText(entry.path))}`];
    }
  }
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

/** The warning for a peer's changed key, in the spirit of OpenSSH's; drawn with the alarm tone. */
export function peerKeyChangedWarning(change: { name: string; trusted: string; presented: string }): string {
  const { name, trusted, presented } = change;
  return [
    `WARNING: ${name.toUpperCase()}'S IDENTITY KEY HAS CHANGED!`,
    `trusted: ${trusted}`,
    `now:     ${presented}`,
    `Someone may be impersonating ${name}, or ${name} has a new key.`,
    `Messages to and from ${name} are held until you compare fingerprints with ${name} (/whois ${name}) and accept the new key: /trust ${name}`,
  ].join('\n');
}

/** Said where history holds messages sealed before this user joined a secret room. */
export function notSealedText(count: number): string {
  return count === 1
    ? '1 earlier message was sealed before you joined and cannot be read'
    : `${count} earlier messages were sealed before you joined and cannot be read`;
}

/** The message pane's label: the conversation, and whether the server can read it. */
export function conversationHeader(conversation: Conversation): string {
  if (conversation.kind === 'dm') return `${conversationTitle(conversation)} · end-to-end`;
  return conversation.secret ? `${conversationTitle(conversation)} · secret, end-to-end` : conversationTitle(conversation);
}

export function conversationTitle(conversation: Conversation): string {
  return conversation.kind === 'room' ? `#${conversation.name}` : `@${conversation.name}`;
}

export function roomListText(conversations: readonly Conversation[], active: string | undefined, theme: Theme, width: number): string {
  const rooms = conversations.filter((c) => c.kind === 'room');
  const direct = conversations.filter((c) => c.kind === 'dm');
  const line = (c: Conversation) => {
    const count = c.unread > 0 ? ` (${c.unread})` : '';
    // Secret rooms are marked; every direct conversation is end-to-end, so those are not.
    const mark = c.kind === 'room' && c.secret ? ' secret' : '';
    const title = safeText(conversationTitle(c)).slice(0, Math.max(4, width - count.length - mark.length - 1));
    const text = `${title}${mark}${count}`;
    if (c.key === active) return `{inverse}${text}{/inverse}`;
    if (c.mentioned) return `{bold}${paint(theme.mention, text)}{/bold}`;
    return c.unread > 0 ? `{bold}${text}{/bold}` : text;
  };
  return [
    ...rooms.map(line),
    '',
    paint(theme.dim, 'Direct'),
    ...(direct.length > 0 ? direct.map(line) : [paint(theme.dim, '@name text')]),
  ].join('\n');
}

export function memberListText(conversation: Conversation | undefined, theme: Theme, width: number, now = Date.now()): string {
  if (!conversation) return '';
  if (conversation.kind === 'dm') return `${paint(theme.dim, 'Direct with')}\n${paint(userColor(theme, conversation.name), safeText(conversation.name))}`;
  const members = [...conversation.members.values()].sort((a, b) => a.name.localeCompare(b.name));
  return [
    paint(theme.dim, `${members.length} here`.padEnd(Math.max(0, width - 5)) + 'said'),
    ...members.map((m) => {
      const when = lastSpoke(m.lastMessageAt, now);
      const name = safeText(m.name).slice(0, Math.max(3, width - when.length - 1));
      return `${paint(userColor(theme, m.name), name)}${' '.repeat(Math.max(1, width - 1 - name.length - when.length))}${paint(theme.dim, when)}`;
    }),
  ].join('\n');
}

export interface StatusState {
  serverName: string;
  address: string;
  fingerprint: string;
  trust: string;
  name: string;
  connection: 'connected' | 'reconnecting' | 'closed';
  reconnectAt?: number;
  attempt?: number;
  closedReason?: string;
  hostedPassword?: string;
  transfers?: TransferCounts;
}

export function statusText(state: StatusState, theme: Theme, now = Date.now()): string {
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
