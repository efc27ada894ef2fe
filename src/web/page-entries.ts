// The conversation on screen as the page holds it: each entry of the shared model
// (src/shared/conversations.ts) turned into the page's form once (numbered, so that an update
// replaces it), and what changed since the last sending worked out from the model itself: new
// entries at the end ('append') or the top ('prepend'), or anything else, all of it ('reset').
// Conversations off screen are sent whole when selected.

import { foldName } from '../protocol/names.ts';
import type { Conversation, Entry, PictureEntry } from '../shared/conversations.ts';
import type { TransferLine } from '../shared/transfer-board.ts';
import type { TransferView, WebEntry, WebEvent } from './wire.ts';

/** The bot's picture in the page: fetched by its number (`src`), never by its path. */
export interface WebPicture extends PictureEntry {
  src: string;
}
export type WebModelEntry = Entry<WebPicture>;

export class PageEntries {
  private seq = 0;
  /** Each entry as the page got it; null: nothing to show. */
  private readonly wire = new WeakMap<WebModelEntry, WebEntry | null>();
  /** What the tabs hold of the conversation on screen: enough to tell new entries at its end or top from any other change. */
  private shown: { key: string; length: number; first: WebModelEntry | undefined; last: WebModelEntry | undefined } | undefined;

  constructor(
    private readonly broadcast: (event: WebEvent) => void,
    /** This user's name now, and a transfer's line as the page gets it (web-transfers.ts). */
    private readonly describe: { self(): string; transfer(line: TransferLine): TransferView },
  ) {}

  /**
   * Sends every tab what changed in `conversation` (the one on screen) since it was last sent;
   * `reset`: all of it (a conversation selected, entries changed in place).
   */
  send(conversation: Conversation<WebPicture> | undefined, reset = false): void {
    if (!conversation) {
      this.shown = undefined;
      return;
    }
    const { entries } = conversation;
    const shown = this.shown;
    let mode: 'reset' | 'append' | 'prepend' = 'reset';
    let changed: readonly WebModelEntry[] = entries;
    if (!reset && shown?.key === conversation.key) {
      const added = entries.length - shown.length;
      if (added === 0 && entries[0] === shown.first && entries.at(-1) === shown.last) return;
      if (added > 0 && (shown.length === 0 || (entries[0] === shown.first && entries[shown.length - 1] === shown.last))) {
        mode = 'append';
        changed = entries.slice(shown.length);
      } else if (added > 0 && entries[added] === shown.first && entries.at(-1) === shown.last) {
        mode = 'prepend';
        changed = entries.slice(0, added);
      }
    }
    this.shown = { key: conversation.key, length: entries.length, first: entries[0], last: entries.at(-1) };
    const wire = this.wireEntries(changed);
    if (mode === 'reset' || wire.length > 0) this.broadcast({ type: 'entries', key: conversation.key, entries: wire, mode });
  }

  /** An entry as the page gets it (made once, then the same object); undefined for what the page does not show. */
  wireEntry(entry: WebModelEntry): WebEntry | undefined {
    let wire = this.wire.get(entry);
    if (wire === undefined) {
      wire = this.toWire(entry);
      this.wire.set(entry, wire);
    }
    return wire ?? undefined;
  }

  wireEntries(entries: readonly WebModelEntry[]): WebEntry[] {
    const wire: WebEntry[] = [];
    for (const entry of entries) {
      const sent = this.wireEntry(entry);
      if (sent) wire.push(sent);
    }
    return wire;
  }

  private toWire(entry: WebModelEntry): WebEntry | null {
    const seq = ++this.seq;
    switch (entry.kind) {
      case 'message': {
        const { message } = entry;
        // Sealed to others only: there is nothing to read (the join's "not sealed to you" notice counts them).
        if (message.e2e?.state === 'not-sealed-to-you') return null;
        const e2e = message.e2e?.state === 'verified' ? { e2e: 'verified' as const } : message.e2e?.state === 'rejected' ? { e2e: 'rejected' as const, code: message.e2e.code } : {};
        return { seq, kind: 'message', id: message.id, ts: message.ts, from: message.from, text: message.text, own: foldName(message.from) === foldName(this.describe.self()), mention: entry.mention, ...e2e };
      }
      case 'notice':
        // The page draws an announcement as a warning.
        return { seq, kind: 'notice', ts: entry.ts, text: entry.text, tone: entry.tone === 'announce' ? 'warning' : entry.tone };
      case 'bot':
        return { seq, kind: 'bot', ts: entry.ts, command: entry.command, text: entry.text, ...(entry.link !== undefined && { link: entry.link }) };
      case 'image':
        return { seq, kind: 'image', ts: entry.ts, command: entry.command, src: entry.src, path: entry.path };
      case 'transfer':
        return { seq, kind: 'transfer', ts: entry.ts, transfer: this.describe.transfer(entry.line) };
    }
  }
}
