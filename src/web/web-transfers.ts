// Files in the web client, over the client library's FileTransfers: each transfer is an entry in
// its conversation, updated in place as it moves, numbered for /accept, /decline and /cancel (and
// the page's buttons). Files the page drops or pastes arrive over HTTP into a private upload dir
// first. Received files and the bot's pictures are published to the page under a number, never
// under a path: the page cannot name a file, and the sender never chose where one is read from.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatBytes } from '../client/transfer-progress.ts';
import { FileTransfers, type IncomingTransfer, type OutgoingTransfer, type TransferProgress, type TransferTarget } from '../client/transfers.ts';
import { expandHome } from '../shared/file-paths.ts';
import { readableFileSize } from '../shared/readable-file.ts';
import { roomKey, type WebChat } from './web-chat.ts';
import type { TransferView, WebEntry } from './wire.ts';

interface Tracked {
  view: TransferView;
  key: string;
  entry: Extract<WebEntry, { kind: 'transfer' }>;
  incoming?: IncomingTransfer;
  outgoing?: OutgoingTransfer;
}

/** Progress is sent to the page at most this often per transfer. */
const PROGRESS_EVERY_MS = 200;

export class WebTransfers {
  readonly files: FileTransfers;
  readonly problem: string | undefined;
  private readonly active = new Map<number, Tracked>();
  /** What the page may fetch: downloads and pictures, by number. */
  private readonly published = new Map<number, { path: string; name: string; kind: 'file' | 'image' }>();
  private nextId = 1;
  private nextPublished = 1;

  constructor(private readonly room: WebChat) {
    const { options } = room.session;
    const dir = options.downloadsDir ?? join(options.dataDir, 'downloads');
    let downloadDir: string | undefined = dir;
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      downloadDir = undefined;
      this.problem = `cannot make the downloads dir ${dir} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): files offered to you will be declined`;
    }
    this.files = new FileTransfers(room.chat, { ...(downloadDir !== undefined && { downloadDir }), ...(options.maxAutoAcceptBytes !== undefined && { maxAutoAcceptBytes: options.maxAutoAcceptBytes }) });
    this.files.on('offer', (t) => this.receive(t, 'asking'));
    this.files.on('incoming', (t) => this.receive(t, 'running'));
    this.files.on('declined', (t, code) => this.receive(t, 'failed', code));
  }

  /** /file and /groupfile: a path on this machine, checked first so a typo gets a plain answer. */
  async sendPath(target: TransferTarget, typed: string, shownName?: string): Promise<void> {
    const path = expandHome(typed, process.env.HOME ?? homedir());
    const size = await readableFileSize(path);
    if ('room' in target && !this.room.conversations.get(roomKey(target.room))) await this.room.openRoom(target.room);
    const outgoing = this.files.send(target, path, shownName !== undefined ? { name: shownName } : {});
    const key = 'to' in target ? this.room.open('dm', target.to).key : roomKey(target.room);
    const tracked = this.track(key, { direction: 'send', name: outgoing.name, size, state: 'preparing', ...('to' in target ? { peer: target.to } : { room: target.room }) });
    tracked.outgoing = outgoing;
    outgoing.on('offered', () => this.set(tracked, { state: 'waiting' }));
    outgoing.on('status', (outcome) => {
      if (outcome.status === 'accepted' && tracked.view.state === 'waiting') this.set(tracked, { state: 'running' });
    });
    outgoing.on('progress', (p) => this.progress(tracked, p));
    outgoing.done.then(() => this.end(tracked, 'done'), (error: Error & { code?: string }) => this.end(tracked, 'failed', error));
    this.room.select(key);
  }

  async accept(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, (t) => t.view.state === 'asking');
    if (!tracked?.incoming) return id === undefined ? 'no file waits for an answer' : `no file [${id}] waits for an answer`;
    await tracked.incoming.accept().catch(() => {});
    return undefined;
  }

  async decline(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, (t) => t.view.state === 'asking');
    if (!tracked?.incoming) return id === undefined ? 'no file waits for an answer' : `no file [${id}] waits for an answer`;
    await tracked.incoming.decline('TRANSFER_DECLINED', 'declined by the recipient');
    return undefined;
  }

  async cancel(id?: number): Promise<string | undefined> {
    const tracked = this.find(id, () => true);
    if (!tracked) return id === undefined ? 'no file transfer is under way' : `no file transfer [${id}] is under way`;
    if (tracked.outgoing) tracked.outgoing.cancel();
    else await tracked.incoming?.cancel();
    return undefined;
  }

  async cancelAll(): Promise<void> {
    await Promise.all([...this.active.values()].map(async (t) => (t.outgoing ? t.outgoing.cancel() : t.incoming?.cancel())));
  }

  counts(): { sending: number; receiving: number; asking: number } {
    const counts = { sending: 0, receiving: 0, asking: 0 };
    for (const { view } of this.active.values()) {
      if (view.state === 'asking') counts.asking++;
      else if (view.direction === 'send') counts.sending++;
      else counts.receiving++;
    }
    return counts;
  }

  summary(): string {
    const lines = [...this.active.values()].map(({ view: v }) => `  [${v.id}] ${v.direction === 'send' ? '↑' : '↓'} ${v.name} · ${formatBytes(v.size)} · ${v.state === 'asking' ? `waiting for /accept ${v.id} or /decline ${v.id}` : v.state}`);
    return lines.length === 0 ? 'No file transfers under way.' : ['File transfers:', ...lines].join('\n');
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

  private receive(transfer: IncomingTransfer, state: 'asking' | 'running' | 'failed', code?: string): void {
    const known = [...this.active.values()].find((t) => t.incoming === transfer);
    if (known) {
      if (state === 'running') this.set(known, { state: 'running' });
      return;
    }
    const key = transfer.room !== undefined ? this.room.open('room', transfer.room).key : this.room.open('dm', transfer.from).key;
    const tracked = this.track(key, { direction: 'receive', name: transfer.offeredName, size: transfer.size, state, peer: transfer.from, ...(transfer.room !== undefined && { room: transfer.room }), ...(code !== undefined && { error: code }) });
    tracked.incoming = transfer;
    if (state === 'failed') return this.end(tracked, 'failed', { code: code ?? 'TRANSFER_DECLINED', message: 'declined' } as Error & { code: string });
    if (state === 'asking') {
      this.room.ring(`${transfer.from} offers a file`, `${transfer.offeredName} (${formatBytes(transfer.size)})`, true);
      if (key !== this.room.active) this.room.conversations.get(key)!.unread++;
    }
    transfer.on('progress', (p) => this.progress(tracked, p));
    transfer.done.then((result) => {
      const id = this.nextPublished++;
      this.published.set(id, { path: result.path, name: transfer.safeName, kind: 'file' });
      tracked.view.download = `/files/${id}`;
      this.end(tracked, 'done');
    }, (error: Error & { code?: string }) => this.end(tracked, 'failed', error));
  }

  private track(key: string, view: Omit<TransferView, 'id' | 'bytes' | 'rate'>): Tracked {
    const full: TransferView = { id: this.nextId++, bytes: 0, rate: 0, ...view };
    const entry = this.room.add(key, { kind: 'transfer', ts: Date.now(), transfer: full }) as Extract<WebEntry, { kind: 'transfer' }>;
    const tracked: Tracked = { view: full, key, entry: entry ?? { seq: this.room.nextSeq(), kind: 'transfer', ts: Date.now(), transfer: full } };
    this.active.set(full.id, tracked);
    this.room.changed();
    return tracked;
  }

  private set(tracked: Tracked, change: Partial<TransferView>): void {
    Object.assign(tracked.view, change);
    this.room.update(tracked.key, tracked.entry);
    this.room.changed();
  }

  private lastProgress = new Map<number, number>();

  private progress(tracked: Tracked, progress: TransferProgress): void {
    if (tracked.view.state === 'done' || tracked.view.state === 'failed') return;
    Object.assign(tracked.view, { bytes: progress.bytes, rate: progress.rate, ...(progress.etaMs !== undefined && { etaMs: progress.etaMs }) });
    if (tracked.view.state === 'waiting' && progress.bytes > 0) tracked.view.state = 'running';
    const now = Date.now();
    if (now - (this.lastProgress.get(tracked.view.id) ?? 0) < PROGRESS_EVERY_MS && progress.bytes < tracked.view.size) return;
    this.lastProgress.set(tracked.view.id, now);
    this.room.update(tracked.key, tracked.entry);
  }

  private end(tracked: Tracked, state: 'done' | 'failed', error?: Error & { code?: string }): void {
    tracked.view.state = state;
    if (state === 'done') tracked.view.bytes = tracked.view.size;
    if (error) tracked.view.error = `${error.code ?? 'TRANSFER_CANCELLED'}: ${error.message}`;
    this.active.delete(tracked.view.id);
    this.lastProgress.delete(tracked.view.id);
    this.room.update(tracked.key, tracked.entry);
    this.room.changed();
  }

  private find(id: number | undefined, can: (tracked: Tracked) => boolean): Tracked | undefined {
    if (id !== undefined) {
      const tracked = this.active.get(id);
      return tracked && can(tracked) ? tracked : undefined;
    }
    return [...this.active.values()].filter(can).at(-1);
  }
}
