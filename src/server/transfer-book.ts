// The server's record of the file transfers under way: each by id, and the ones each session takes
// part in (as sender or receiver), which per-user limits and disconnects need. transfers.ts
// decides what happens to a transfer; this keeps count.

import { ParlorError } from '../protocol/errors.ts';
import type { Session } from './session.ts';

export interface Receiver {
  session: Session;
  name: string;
  state: 'offered' | 'receiving';
  /** Chunk bytes this receiver says it has written (never more than were relayed). */
  consumed: number;
  lastProgressAt: number;
}

export interface Transfer {
  id: number;
  sender: Session;
  senderName: string;
  size: number;
  receivers: Map<Session, Receiver>;
  /** Chunk data bytes relayed so far, and the total the sender may have sent (its credit). */
  relayed: number;
  limit: number;
  /** The most chunk bytes the transfer may carry: the size, plus room for per-chunk envelopes. */
  maxWireBytes: number;
  started: boolean;
  /** When the sender last used up its credit: a receiver is stalled only while it holds it back. */
  blockedSince: number | undefined;
  /** When the transfer started or last carried a chunk: a sender is stalled only while everyone waits for it. */
  lastChunkAt: number;
  answerTimer: NodeJS.Timeout | undefined;
  stallTimer: NodeJS.Timeout | undefined;
}

export class TransferBook {
  private readonly byId = new Map<number, Transfer>();
  private readonly bySession = new Map<Session, Set<Transfer>>();
  private nextId = 1;

  constructor(private readonly maxTransfersPerUser: number) {}

  get size(): number {
    return this.byId.size;
  }

  get(id: number): Transfer | undefined {
    return this.byId.get(id);
  }

  has(transfer: Transfer): boolean {
    return this.byId.get(transfer.id) === transfer;
  }

  all(): Transfer[] {
    return [...this.byId.values()];
  }

  /** The transfers a session takes part in, as sender or receiver. */
  of(session: Session): Transfer[] {
    return [...(this.bySession.get(session) ?? [])];
  }

  /** An id no transfer under way has (ids wrap at 2^32 and skip those in use). */
  newId(): number {
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= 0xffff_ffff ? 1 : id + 1;
      if (!this.byId.has(id)) return id;
    }
  }

  /** A new transfer, counted for its sender and each receiver. */
  add(transfer: Transfer): void {
    this.byId.set(transfer.id, transfer);
    this.link(transfer.sender, transfer);
    for (const session of transfer.receivers.keys()) this.link(session, transfer);
  }

  /** An ended transfer: gone, and no longer counted for its sender (receivers are unlinked as they leave). */
  remove(transfer: Transfer): void {
    this.byId.delete(transfer.id);
    this.unlink(transfer.sender, transfer);
  }

  unlink(session: Session, transfer: Transfer): void {
    const set = this.bySession.get(session);
    if (!set) return;
    set.delete(transfer);
    if (set.size === 0) this.bySession.delete(session);
  }

  /** A session that ended takes part in nothing any more. */
  forget(session: Session): void {
    this.bySession.delete(session);
  }

  countOf(session: Session): number {
    return this.bySession.get(session)?.size ?? 0;
  }

  hasRoomFor(session: Session): boolean {
    return this.countOf(session) < this.maxTransfersPerUser;
  }

  /** TOO_MANY_TRANSFERS unless the session may take part in one more; `who` says whose limit it is. */
  checkRoomFor(session: Session, who: string): void {
    if (!this.hasRoomFor(session)) {
      throw new ParlorError('TOO_MANY_TRANSFERS', `${who} ${this.maxTransfersPerUser} transfers under way already`);
    }
  }

  /** The session's part in transfer `id`, or TRANSFER_NOT_FOUND. */
  receiverOf(session: Session, id: number): { transfer: Transfer; receiver: Receiver } {
    const transfer = this.byId.get(id);
    const receiver = transfer?.receivers.get(session);
    if (!transfer || !receiver) throw new ParlorError('TRANSFER_NOT_FOUND', `there is no transfer ${id} for you`);
    return { transfer, receiver };
  }

  private link(session: Session, transfer: Transfer): void {
    let set = this.bySession.get(session);
    if (!set) this.bySession.set(session, (set = new Set()));
    set.add(transfer);
  }
}
