// Files in the web client, over the same TransferBoard as the terminal UI (src/shared): each
// transfer is an entry in its conversation, updated in place as it moves, numbered for /accept,
// /decline and /cancel (and the page's buttons). Files the page drops or pastes arrive over HTTP
// into a private upload dir first. Received files and the bot's pictures are published to the
// page under a number, never under a path: the page cannot name a file, and the sender never
// chose where one is read from.

import { homedir } from 'node:os';
import type { TransferTarget } from '../client/transfers/transfers.ts';
import { expandHome } from '../shared/file-paths.ts';
import { readableFileSize } from '../shared/readable-file.ts';
import { downloadsFor, TransferBoard, transferSummary, type TransferLine, type TransferPlace } from '../shared/transfer-board.ts';
import { fileTransfer } from '../shared/chat-filing.ts';
import { dmKey, roomKey, type Entry } from '../shared/conversations.ts';
import type { WebPicture } from './page-entries.ts';
import type { WebChat } from './web-chat.ts';
import type { TransferView } from './wire.ts';

interface Shown {
  key: string;
  /** The conversation's entry; the page's copy of it is PageEntries.wireEntry's. */
  entry: Entry<WebPicture>;
  line: TransferLine;
  /** What the page last got, to send only what changed. */
  sent: string;
}

export class WebTransfers {
  readonly board: TransferBoard;
  readonly problem: string | undefined;
  private readonly shown: Shown[] = [];
  /** What the page may fetch: downloads and pictures, by number. */
  private readonly published = new Map<number, { path: string; name: string; kind: 'file' | 'image' }>();
  private readonly downloads = new Map<number, string>();
  private nextPublished = 1;
  private lastCounts = '';

  constructor(private readonly room: WebChat) {
    const downloads = downloadsFor(room.session.options);
    this.problem = downloads.problem;
    this.board = new TransferBoard(room.chat, downloads, { place: (where, line, attention) => this.place(where, line, attention), redraw: () => this.redraw() });
  }

  /** /file and /groupfile, and files from the page: a path on this machine, checked first. */
  async sendPath(target: TransferTarget, typed: string): Promise<void> {
    const path = expandHome(typed, process.env.HOME ?? homedir());
    const size = await readableFileSize(path);
    if ('room' in target && !this.room.model.get(roomKey(target.room))) await this.room.openRoom(target.room);
    const room = 'room' in target ? this.room.model.get(roomKey(target.room))?.name ?? target.room : undefined;
    this.board.send(room !== undefined ? { room } : target, path, size);
    this.room.select('to' in target ? dmKey(target.to) : roomKey(target.room));
  }

  accept(id?: number): Promise<string | undefined> {
    return this.board.accept(id);
  }

  decline(id?: number): Promise<string | undefined> {
    return this.board.decline(id);
  }

  cancel(id?: number): Promise<string | undefined> {
    return this.board.cancel(id);
  }

  cancelAll(): Promise<void> {
    return this.board.cancelAll();
  }

  counts(): { sending: number; receiving: number; asking: number } {
    return this.board.counts();
  }

  summary(): string {
    const lines = this.board.list().map(transferSummary);
    return lines.length === 0 ? 'No file transfers under way.' : ['File transfers:', ...lines.map((l) => '  ' + l)].join('\n');
  }

  publishImage(path: string): string {
    const id = this.nextPublished++;
    this.published.set(id, { path, name: 'picture', kind: 'image' });
    return `/images/${id}`;
  }

  /** What `/files/N` or `/images/N` names, if the page was given that number. */
  lookup(kind: 'file' | 'image', id: number): { path: string; name: string } | undefined {
    const found = this.published.get(id);
    return found?.kind === kind ? found : undefined;
  }

  /** A new transfer's entry, once, in its conversation; an offer to answer rings. */
  private place(where: TransferPlace, line: TransferLine, attention: boolean): void {
    const { conversation, entry } = fileTransfer(this.room.model, where, line, attention);
    this.shown.push({ key: conversation.key, entry, line, sent: JSON.stringify(this.view(line)) });
    if (attention) this.room.ring(`${line.peer ?? 'someone'} offers a file`, line.name, true);
    this.room.changed();
  }

  /** The board says something moved: entries that changed are sent again, and the counts. */
  private redraw(): void {
    for (const shown of this.shown) {
      const transfer = this.view(shown.line);
      const text = JSON.stringify(transfer);
      if (text === shown.sent) continue;
      shown.sent = text;
      const wire = this.room.page.wireEntry(shown.entry);
      if (wire?.kind !== 'transfer') continue;
      wire.transfer = transfer;
      this.room.update(shown.key, wire);
    }
    const counts = JSON.stringify(this.board.counts());
    if (counts !== this.lastCounts) {
      this.lastCounts = counts;
      this.room.changed();
    }
  }

  /** The line as the page gets it: a saved file becomes a number to download, not a path. */
  view(line: TransferLine): TransferView {
    let download = this.downloads.get(line.id);
    if (download === undefined && line.direction === 'receive' && line.state === 'done' && line.savedPath !== undefined) {
      const id = this.nextPublished++;
      this.published.set(id, { path: line.savedPath, name: line.savedPath.split('/').pop() ?? 'file', kind: 'file' });
      download = `/files/${id}`;
      this.downloads.set(line.id, download);
    }
    const { savedPath: _savedPath, outcomes: _outcomes, error, ...rest } = line;
    return { ...rest, ...(error && { error: `${error.code}: ${error.message}` }), ...(download !== undefined && { download }) };
  }
}
