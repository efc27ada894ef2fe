// File transfer for a ChatClient: send a file to a user or a room, and receive the files others
// offer. Offers up to `maxAutoAcceptBytes` (1 GiB by default) are accepted at once into
// `downloadDir`; larger ones go to whoever listens for 'offer' (the UI asks the user), or are
// declined when nobody does (the CLI). Without a downloads dir every offer is declined. The server
// never delivers an offer between users who blocked one another. A file to a user or to a secret
// room goes end to end (file-offer.ts, docs/protocol.md 8.4): an offer that fails its checks is
// declined with its E2E_ code before anything is written.
//
//   const files = new FileTransfers(chat, { downloadDir });
//   files.on('incoming', (t) => t.on('progress', draw));
//   const sending = files.send({ to: 'bob' }, '/tmp/photo.jpg');
//   sending.on('progress', draw);
//   await sending.done;

import { EventEmitter } from 'node:events';
import { RECORD_KIND_CHUNK, RECORD_KIND_WINDOW } from '../../protocol/constants.ts';
import { ParlorError, asParlorError } from '../../protocol/errors.ts';
import type { DecodedRecord } from '../../protocol/records.ts';
import { transferRequestSchemas, type FileOfferedMessage, type TransferEvent } from '../../protocol/transfer-messages.ts';
import { decodeChunkBody, decodeWindowBody } from '../../protocol/transfer-records.ts';
import type { CloseInfo } from '../../transport/secure-connection.ts';
import type { ChatClient } from '../chat-client.ts';
import { IncomingTransfer, type DeclineCode } from './incoming-transfer.ts';
import { readOffer, type OfferDetails } from './file-offer.ts';
import { OutgoingTransfer, type TransferTarget } from './outgoing-transfer.ts';

export { IncomingTransfer } from './incoming-transfer.ts';
export { OutgoingTransfer, type TransferTarget, type RecipientOutcome } from './outgoing-transfer.ts';
export type { TransferProgress } from './transfer-progress.ts';

export const DEFAULT_MAX_AUTO_ACCEPT_BYTES = 1024 * 1024 * 1024;

export interface FileTransferOptions {
  /** Where received files are saved; without it, every offer is declined. */
  downloadDir?: string;
  /** Offers up to this size are accepted without asking (default 1 GiB). */
  maxAutoAcceptBytes?: number;
  /** Deflate chunks that compress by 10 % or more (default true). */
  compress?: boolean;
}

interface FileTransferEvents {
  /** An offer over the auto-accept size: call accept() or decline() on it. */
  offer: [transfer: IncomingTransfer];
  /** An offer that was accepted (automatically or by accept()): it is being received. */
  incoming: [transfer: IncomingTransfer];
  /**
   * An offer that was declined without asking: too large with nobody to ask, no downloads dir, or
   * refused end to end (its E2E_ code: a changed sender key, a bad signature, ...).
   */
  declined: [transfer: IncomingTransfer, code: string];
}

export class FileTransfers extends EventEmitter<FileTransferEvents> {
  private readonly outgoing = new Map<number, OutgoingTransfer>();
  private readonly incoming = new Map<number, IncomingTransfer>();
  /**
   * What came for a transfer id before its offer's reply was handled: a quick answer can share a
   * frame with the reply (the window record, a status), and the reply only resolves a promise.
   */
  private readonly early = new Map<number, Array<() => void>>();
  private readonly onEvent = (event: TransferEvent) => this.route(event);
  private readonly onRecord = (record: DecodedRecord) => this.routeRecord(record);
  private readonly onDisconnect = (info: CloseInfo) => this.failAll(info.reason);

  constructor(
    private readonly chat: ChatClient,
    private readonly options: FileTransferOptions = {},
  ) {
    super();
    chat.on('transferEvent', this.onEvent);
    chat.on('transferRecord', this.onRecord);
    chat.on('disconnected', this.onDisconnect);
    chat.on('closed', this.onDisconnect);
  }

  /** Starts sending a file; watch the returned transfer's events and await its `done`. */
  send(target: TransferTarget, path: string, options: { name?: string } = {}): OutgoingTransfer {
    const registry = {
      add: (transfer: OutgoingTransfer) => {
        this.outgoing.set(transfer.id, transfer);
        const early = this.early.get(transfer.id);
        this.early.delete(transfer.id);
        for (const replay of early ?? []) replay();
      },
      remove: (transfer: OutgoingTransfer) => this.outgoing.delete(transfer.id),
    };
    return new OutgoingTransfer(this.chat, target, path, { ...options, compress: this.options.compress ?? true }, registry);
  }

  /** Transfers under way, both directions. */
  get active(): { outgoing: OutgoingTransfer[]; incoming: IncomingTransfer[] } {
    return { outgoing: [...this.outgoing.values()], incoming: [...this.incoming.values()] };
  }

  /** Stops listening to the chat client (transfers under way are cancelled). */
  detach(): void {
    this.failAll(new ParlorError('TRANSFER_CANCELLED', 'file transfers were turned off'));
    this.chat.off('transferEvent', this.onEvent);
    this.chat.off('transferRecord', this.onRecord);
    this.chat.off('disconnected', this.onDisconnect);
    this.chat.off('closed', this.onDisconnect);
  }

  private route(event: TransferEvent): void {
    switch (event.type) {
      case 'file_offered':
        this.onOffer(event);
        break;
      case 'file_status':
        this.toOutgoing(event.transfer, (t) => t.onStatus(event));
        break;
      case 'file_cancelled':
        if (this.incoming.has(event.transfer)) this.incoming.get(event.transfer)!.onCancelled(event);
        else this.toOutgoing(event.transfer, (t) => t.onCancelled(event));
        break;
    }
  }

  private routeRecord(record: DecodedRecord): void {
    try {
      if (record.kind === RECORD_KIND_CHUNK) {
        const chunk = decodeChunkBody(record.body);
        this.incoming.get(chunk.transfer)?.onChunk(chunk);
      } else if (record.kind === RECORD_KIND_WINDOW) {
        const window = decodeWindowBody(record.body);
        this.toOutgoing(window.transfer, (t) => t.onWindow(window.bytes));
      }
    } catch {
      // A malformed record from the server names no transfer we could fail: it is dropped.
    }
  }

  /** Delivers to an outgoing transfer, or keeps it for one whose offer reply is still on its way. */
  private toOutgoing(id: number, deliver: (transfer: OutgoingTransfer) => void): void {
    const transfer = this.outgoing.get(id);
    if (transfer) return deliver(transfer);
    let kept = this.early.get(id);
    if (!kept) {
      // Bounded: ids that never get a transfer (ended ones, a confused server) are forgotten.
      if (this.early.size >= 64) this.early.delete(this.early.keys().next().value!);
      this.early.set(id, (kept = []));
    }
    if (kept.length < 16) kept.push(() => deliver(this.outgoing.get(id)!));
  }

  private onOffer(offer: FileOfferedMessage): void {
    // A sealed offer is opened and checked before anything else; one that fails (or one in clear
    // that should have been sealed) is declined with its E2E_ code, and nothing is written.
    let details: OfferDetails;
    let refusal: ParlorError | undefined;
    try {
      details = readOffer(this.chat, offer);
    } catch (error) {
      refusal = asParlorError(error, 'E2E_MALFORMED');
      details = { ...offer, name: offer.name ?? 'a sealed file', sha256: offer.sha256 ?? '' };
    }
    const transfer = new IncomingTransfer(this.chat, details, this.options.downloadDir, (t) => this.incoming.delete(t.id));
    this.incoming.set(transfer.id, transfer);
    const limit = this.options.maxAutoAcceptBytes ?? DEFAULT_MAX_AUTO_ACCEPT_BYTES;
    if (refusal) {
      const code = isDeclineCode(refusal.code) ? refusal.code : 'E2E_MALFORMED';
      void transfer.decline(code, refusal.message.slice(0, 500));
      this.emit('declined', transfer, code);
    } else if (this.options.downloadDir === undefined) {
      void transfer.decline('TRANSFER_DECLINED', 'this client does not accept files');
      this.emit('declined', transfer, 'TRANSFER_DECLINED');
    } else if (offer.size <= limit) {
      this.emit('incoming', transfer);
      transfer.accept().catch(() => {});
    } else if (this.listenerCount('offer') > 0) {
      transfer.once('accepted', () => this.emit('incoming', transfer));
      this.emit('offer', transfer);
    } else {
      void transfer.decline('TRANSFER_TOO_LARGE', `this client accepts files of at most ${limit} bytes`);
      this.emit('declined', transfer, 'TRANSFER_TOO_LARGE');
    }
  }

  private failAll(reason: ParlorError): void {
    for (const transfer of [...this.outgoing.values()]) transfer.onDisconnect(reason);
    for (const transfer of [...this.incoming.values()]) transfer.onDisconnect(reason);
  }
}

const DECLINE_CODES: ReadonlySet<string> = new Set(transferRequestSchemas.file_decline.shape.code.unwrap().options);

function isDeclineCode(code: string): code is DeclineCode {
  return DECLINE_CODES.has(code);
}
