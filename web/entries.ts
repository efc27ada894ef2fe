// One entry of a conversation as elements: a message (time, name in its colour, text), a notice,
// the bot's answer to this user alone, a picture, or a file transfer with its progress and
// buttons. Text from others is made inert first (control and bidi characters shown as <U+202E>,
// as in the terminal) and only ever set as text; links become clickable for http(s) alone.

import { formatBytes } from '../src/shared/format-bytes.ts';
import { inertText } from '../src/shared/inert-text.ts';
import { clock } from '../src/shared/notices.ts';
import type { TransferView, WebEntry } from '../src/web/wire.ts';
import { h } from './dom.ts';
import { nameColour } from './theme.ts';

/** A longer text is cut on screen (it stays whole in /export): a page must not freeze on one line. */
const SHOWN_CHARS = 20_000;
const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/g;

export interface EntryActions {
  transfer(verb: 'accept' | 'decline' | 'cancel', id: number): void;
}

export function dayOf(ts: number): string {
  return new Date(ts).toDateString();
}

function time(ts: number): HTMLTimeElement {
  return h('time', { datetime: new Date(ts).toISOString(), title: new Date(ts).toLocaleString() }, clock(ts));
}

/** Inert text with http(s) links made clickable; everything else stays text. */
export function richText(text: string): HTMLSpanElement {
  const shown = text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS) : text;
  const inert = inertText(shown, { keepNewlines: true });
  const span = h('span', { class: 'text' });
  let at = 0;
  for (const match of inert.matchAll(URL_PATTERN)) {
    span.append(inert.slice(at, match.index));
    span.append(link(match[0]));
    at = match.index + match[0].length;
  }
  span.append(inert.slice(at));
  if (shown.length < text.length) span.append(h('em', { class: 'cut' }, ` … ${text.length - shown.length} more characters not shown`));
  return span;
}

export function link(url: string): HTMLElement {
  let safe = false;
  try {
    safe = ['http:', 'https:'].includes(new URL(url).protocol);
  } catch {
    safe = false;
  }
  return safe ? h('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, url) : h('span', {}, url);
}

export function entryElement(entry: WebEntry, actions: EntryActions): HTMLElement {
  switch (entry.kind) {
    case 'message': {
      if (entry.e2e === 'rejected') {
        const text = entry.code === 'E2E_PEER_KEY_CHANGED'
          ? `message from ${entry.from} held: ${entry.from}'s key changed (compare with /whois ${entry.from}, then /trust ${entry.from})`
          : `message from ${entry.from} could not be verified: ${entry.code ?? ''}`;
        return h('div', { class: 'entry notice tone-error' }, time(entry.ts), h('span', { class: 'mark', 'aria-hidden': 'true' }, '✗'), h('span', { class: 'text' }, inertText(text)));
      }
      const name = h('span', { class: 'from', style: `color: ${entry.own ? 'var(--accent)' : nameColour(entry.from)}` }, inertText(entry.from));
      const lock = entry.e2e === 'verified' ? h('span', { class: 'e2e', title: 'end-to-end: sealed by the sender, verified here', 'aria-label': 'end-to-end verified' }, 'e2e ✓') : null;
      return h('div', { class: `entry message${entry.mention ? ' mention' : ''}${entry.own ? ' own' : ''}` }, time(entry.ts), ' ', name, lock, h('span', { class: 'sep' }, entry.mention ? ' ▸ ' : ': '), richText(entry.text));
    }
    case 'notice': {
      const mark = entry.tone === 'join' ? '→' : entry.tone === 'leave' ? '←' : entry.tone === 'error' ? '✗' : entry.tone === 'alarm' ? '!!' : '--';
      return h('div', { class: `entry notice tone-${entry.tone}`, ...(entry.tone === 'alarm' && { role: 'alert' }) }, time(entry.ts), h('span', { class: 'mark', 'aria-hidden': 'true' }, mark), h('span', { class: 'text' }, inertText(entry.text, { keepNewlines: true })));
    }
    case 'bot': {
      const body = entry.link !== undefined ? h('span', { class: 'text' }, entry.text !== entry.link ? inertText(entry.text) + ': ' : '', link(entry.link)) : richText(entry.text);
      return h('div', { class: 'entry bot' }, botHead(entry.ts, entry.command), h('div', { class: 'bot-body' }, body));
    }
    case 'image':
      return h('div', { class: 'entry bot' }, botHead(entry.ts, entry.command), h('div', { class: 'bot-body' }, h('img', { src: entry.src, alt: `picture from ${inertText(entry.command)}`, class: 'picture' }), h('div', { class: 'dim' }, `picture saved: ${inertText(entry.path)}`)));
    case 'transfer':
      return transferElement(entry.ts, entry.transfer, actions);
  }
}

function botHead(ts: number, command: string): HTMLElement {
  return h('div', { class: 'bot-head' }, time(ts), ' ', h('strong', {}, 'bot'), ` ▸ ${inertText(command)} `, h('span', { class: 'dim' }, '(only you)'));
}

function transferElement(ts: number, t: TransferView, actions: EntryActions): HTMLElement {
  const who = t.direction === 'send' ? (t.room !== undefined ? `to #${t.room}` : `to ${t.peer ?? '?'}`) : `from ${t.peer ?? '?'}${t.room !== undefined ? ` in #${t.room}` : ''}`;
  const head = h('div', {}, time(ts), ' ', h('span', { class: 'mark', 'aria-hidden': 'true' }, t.direction === 'send' ? '↑' : '↓'), ` [${t.id}] `, h('strong', {}, inertText(t.name)), ` · ${formatBytes(t.size)} ${inertText(who)}`);
  const percent = t.size === 0 ? 100 : Math.floor((t.bytes / t.size) * 100);
  const line = h('div', { class: 'transfer-state' });
  const button = (verb: 'accept' | 'decline' | 'cancel', label: string) => h('button', { type: 'button', class: `btn ${verb}`, onclick: () => actions.transfer(verb, t.id) }, label);
  switch (t.state) {
    case 'asking':
      line.append(`${formatBytes(t.size)} is over your auto-accept size: `, button('accept', 'Accept'), ' ', button('decline', 'Decline'));
      break;
    case 'preparing':
    case 'waiting':
      line.append(t.state === 'preparing' ? 'reading the file…' : 'offered, waiting for an answer… ', button('cancel', 'Cancel'));
      break;
    case 'running': {
      const left = t.etaMs === undefined ? '' : ` · ${Math.ceil(t.etaMs / 1000)} s left`;
      line.append(h('progress', { max: 100, value: percent, 'aria-label': `${t.name}: ${percent}%` }), ` ${percent}% · ${formatBytes(t.rate)}/s${left} `, button('cancel', 'Cancel'));
      break;
    }
    case 'done':
      line.append(t.direction === 'send' ? 'sent ✓' : 'received ✓ ');
      if (t.download !== undefined) line.append(h('a', { href: t.download, download: inertText(t.name), class: 'download' }, 'Download'));
      break;
    case 'failed':
      line.append(h('span', { class: 'error-text' }, `✗ ${inertText(t.error ?? 'stopped')}`));
  }
  return h('div', { class: `entry transfer state-${t.state}` }, head, line);
}
