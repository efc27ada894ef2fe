// File transfers in the chat room, over the client's FileTransfers: files this user sends
// (/file, /groupfile), offers that come in (saved at once up to the auto-accept size, else asked
// about with /accept and /decline), /cancel from either side, and the counts for the status bar.
// Each transfer is one TransferLine, put once in its conversation and changed in place; progress
// redraws are held to one per REDRAW_EVERY_MS whatever the number of transfers, while a change of
// state (offered, answered, over) is drawn at once.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ChatClient } from '../client/chat-client.ts';
import { DEFAULT_MAX_AUTO_ACCEPT_BYTES, FileTransfers, type IncomingTransfer, type OutgoingTransfer, type RecipientOutcome, type TransferProgress, type TransferTarget } from '../client/transfers/transfers.ts';
import { formatBytes } from './format-bytes.ts';

export interface TransferLine {
  /** The number this UI gives it, for /accept, /decline and /cancel (not the server's id). */
  id: number;
  direction: 'send' | 'receive';
  /** As the sender named it: for a received file, hostile until shown through noticeLines. */
  name: string;
  size: number;
  /** Sending: the user it goes to (undefined for a room). Receiving: the sender. */
  peer?: string;
  room?: string;
  /**
   * preparing: the sender hashes the file; waiting: offered, nobody has taken it yet; asking: an
   * offer over the auto-accept size waits for this user's /accept or /decline.
   */
  state: 'preparing' | 'waiting' | 'asking' | 'running' | 'done' | 'failed';
  bytes: number;
  /** Bytes a second over the last few seconds, and the time left at that rate. */
  rate: number;
  etaMs: number | undefined;
  /** Sending: each recipient's latest word. */
  outcomes: RecipientOutcome[];
  recipients: number;
  /** Receiving: where it was saved; asking: the limit it is over. */
  savedPath?: string;
  limit?: number;
  error?: { code: string; message: string };
}

/** Counts for the status bar: transfers moving each way, and offers waiting for an answer. */
export interface TransferCounts {
  sending: number;
  receiving: number;
  asking: number;
}

/** Where a transfer's line goes: a room's conversation, or the direct one with a user. */
export type TransferPlace = { room: string } | { with: string };

export interface TransferHost {
  /** Files a new line; `attention`: it waits for this user (an offer to answer). */
  place(where: TransferPlace, line: TransferLine, attention: boolean): void;
  redraw(): void;
}

interface Tracked {
  line: TransferLine;
  outgoing?: OutgoingTransfer;
  incoming?: IncomingTransfer;
}

/** At most five progress redraws a second: a 1 GiB file must not cost a render per chunk. */
const REDRAW_EVERY_MS = 200;

export class TransferBoard {
  readonly files: FileTransfers;
  readonly limit: number;
  /** Transfers not over yet, by the number their line shows. */
  private readonly active = new Map<number, Tracked>();
  private readonly byIncoming = new Map<IncomingTransfer, Tracked>();
  private nextId = 1;
  private timer: NodeJS.Timeout | undefined;
  private lastDraw = -Infinity;

  constructor(
    chat: ChatClient,
    options: { downloadDir?: string; maxAutoAcceptBytes?: number },
    private readonly host: TransferHost,
  ) {
    this.limit = options.maxAutoAcceptBytes ?? DEFAULT_MAX_AUTO_ACCEPT_BYTES;
    this.files = new FileTransfers(chat, { ...(options.downloadDir !== undefined && { downloadDir: options.downloadDir }), maxAutoAcceptBytes: this.limit });
    this.files.on('offer', (transfer) => this.receive(transfer, 'asking'));
    this.files.on('incoming', (transfer) => this.receive(transfer, 'running'));
    // Declined without asking (no downloads dir): shown, with the code the sender was given.
    this.files.on('declined', (transfer) => this.receive(transfer, 'failed'));
  }

  /** Starts sending; the line goes to the conversation with `target`. */
  send(target: TransferTarget, path: string, size: number): TransferLine {
    const outgoing = this.files.send(target, path);
    const line = this.newLine('send', outgoing.name, size, 'preparing', target);
    const tracked: Tracked = { line, outgoing };
    this.active.set(line.id, tracked);
    outgoing.on('offered', ({ recipients }) => {
      line.recipients = recipients.length;
      if (line.state === 'preparing') line.state = 'waiting';
      this.changed(true);
    });
    outgoing.on('status', (outcome) => {
      line.outcomes = [...line.outcomes.filter((o) => o.name !== outcome.name), outcome];
      if (outcome.status === 'accepted' && line.state === 'waiting') line.state = 'running';
      this.changed(true);
    });
    outgoing.on('progress', (progress) => this.progress(line, progress, line.state === 'waiting' && progress.bytes > 0));
    outgoing.done.then(
      (result) => this.end(tracked, 'done', undefined, result.missed),
      (error: { code?: string; message?: string }) => this.end(tracked, 'failed', error),
    );
    this.host.place('to' in target ? { with: target.to } : { room: target.room }, line, false);
    this.changed(true);
    return line;
  }

  /** Says yes to an offer that waits; the latest one without an id. */
  async accept(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, (t) => t.line.state === 'asking');
    if (!tracked?.incoming) return id === undefined ? 'no file waits for an answer' : `no file [${id}] waits for an answer`;
    // A failure (the downloads dir cannot be written) ends the transfer: its line says why.
    await tracked.incoming.accept().catch(() => {});
    return undefined;
  }

  async decline(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, (t) => t.line.state === 'asking');
    if (!tracked?.incoming) return id === undefined ? 'no file waits for an answer' : `no file [${id}] waits for an answer`;
    await tracked.incoming.decline('TRANSFER_DECLINED', 'declined by the recipient');
    return undefined;
  }

  /** Stops a transfer either way (an offer still asked about is declined); the latest without an id. */
  async cancel(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, () => true);
    if (!tracked) return id === undefined ? 'no file transfer is under way' : `no file transfer [${id}] is under way`;
    if (tracked.outgoing) tracked.outgoing.cancel();
    else await tracked.incoming?.cancel();
    return undefined;
  }

  /** Ends every transfer (leaving parlor): received parts are deleted before this resolves. */
  async cancelAll(): Promise<void> {
    await Promise.all([...this.active.values()].map(async (t) => (t.outgoing ? t.outgoing.cancel() : t.incoming?.cancel())));
  }

  list(): TransferLine[] {
    return [...this.active.values()].map((t) => t.line);
  }

  counts(): TransferCounts {
    const counts = { sending: 0, receiving: 0, asking: 0 };
    for (const { line } of this.active.values()) {
      if (line.state === 'asking') counts.asking++;
      else if (line.direction === 'send') counts.sending++;
      else counts.receiving++;
    }
    return counts;
  }

  detach(): void {
    clearTimeout(this.timer);
    this.files.detach();
  }

  private receive(transfer: IncomingTransfer, state: 'asking' | 'running' | 'failed'): void {
    const known = this.byIncoming.get(transfer);
    if (known) {
      // Accepted after asking: it moves now.
      if (known.line.state === 'asking' && state === 'running') known.line.state = 'running';
      return this.changed(true);
    }
    const line = this.newLine('receive', transfer.offeredName, transfer.size, state, transfer.room !== undefined ? { room: transfer.room } : undefined, transfer.from);
    if (state === 'asking') line.limit = this.limit;
    const tracked: Tracked = { line, incoming: transfer };
    this.active.set(line.id, tracked);
    this.byIncoming.set(transfer, tracked);
    transfer.on('progress', (progress) => this.progress(line, progress, false));
    transfer.done.then(
      (result) => {
        line.savedPath = result.path;
        this.end(tracked, 'done');
      },
      (error: { code?: string; message?: string }) => this.end(tracked, 'failed', error),
    );
    this.host.place(transfer.room !== undefined ? { room: transfer.room } : { with: transfer.from }, line, state === 'asking');
    this.changed(true);
  }

  private newLine(direction: 'send' | 'receive', name: string, size: number, state: TransferLine['state'], target?: TransferTarget, from?: string): TransferLine {
    return {
      id: this.nextId++,
      direction,
      name,
      size,
      ...(from !== undefined ? { peer: from } : target && 'to' in target ? { peer: target.to } : {}),
      ...(target && 'room' in target && { room: target.room }),
      state,
      bytes: 0,
      rate: 0,
      etaMs: undefined,
      outcomes: [],
      recipients: 0,
    };
  }

  private progress(line: TransferLine, progress: TransferProgress, starts: boolean): void {
    if (line.state === 'done' || line.state === 'failed') return;
    if (starts) line.state = 'running';
    line.bytes = progress.bytes;
    line.rate = progress.rate;
    line.etaMs = progress.etaMs;
    this.changed(false);
  }

  private end(tracked: Tracked, state: 'done' | 'failed', error?: { code?: string; message?: string }, missed: RecipientOutcome[] = []): void {
    const { line } = tracked;
    line.state = state;
    if (state === 'done') line.bytes = line.size;
    if (error) line.error = { code: error.code ?? 'TRANSFER_CANCELLED', message: error.message ?? 'it stopped' };
    for (const outcome of missed) if (!line.outcomes.some((o) => o.name === outcome.name && o.status === outcome.status)) line.outcomes.push(outcome);
    this.active.delete(line.id);
    if (tracked.incoming) this.byIncoming.delete(tracked.incoming);
    this.changed(true);
  }

  private find(id: number | undefined, can: (tracked: Tracked) => boolean): Tracked | undefined {
    if (id !== undefined) {
      const tracked = this.active.get(id);
      return tracked && can(tracked) ? tracked : undefined;
    }
    return [...this.active.values()].filter(can).at(-1);
  }

  private changed(now: boolean): void {
    if (!now && this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    const wait = now ? 0 : REDRAW_EVERY_MS - (performance.now() - this.lastDraw);
    if (wait <= 0) return this.draw();
    this.timer = setTimeout(() => this.draw(), wait);
  }

  private draw(): void {
    this.timer = undefined;
    this.lastDraw = performance.now();
    this.host.redraw();
  }
}

/** The downloads dir, made if missing; without one every offer is declined (and said so). */
export function downloadsFor(options: { dataDir: string; downloadsDir?: string; maxAutoAcceptBytes?: number; noLocalFiles?: string }): { downloadDir?: string; maxAutoAcceptBytes?: number; problem?: string } {
  // Over ssh a download would land on the server's disk: offers are declined, saying why.
  if (options.noLocalFiles !== undefined) return { problem: `files offered to you are declined: ${options.noLocalFiles}` };
  const dir = options.downloadsDir ?? join(options.dataDir, 'downloads');
  const limit = options.maxAutoAcceptBytes !== undefined ? { maxAutoAcceptBytes: options.maxAutoAcceptBytes } : {};
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return { downloadDir: dir, ...limit };
  } catch (error) {
    return { ...limit, problem: `cannot make the downloads dir ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): files offered to you will be declined` };
  }
}

/** A transfer in /transfers' list, as both UIs print it. */
export function transferSummary(line: TransferLine): string {
  const who = line.direction === 'send' ? (line.room !== undefined ? `to #${line.room}` : `to ${line.peer ?? '?'}`) : `from ${line.peer ?? '?'}${line.room !== undefined ? ` in #${line.room}` : ''}`;
  const where = line.state === 'asking' ? `waiting for /accept ${line.id} or /decline ${line.id}` : line.state === 'running' ? `${line.size === 0 ? 100 : Math.floor((line.bytes / line.size) * 100)}%` : line.state;
  return `[${line.id}] ${line.direction === 'send' ? '↑' : '↓'} ${line.name} · ${formatBytes(line.size)} ${who} · ${where}`;
}
