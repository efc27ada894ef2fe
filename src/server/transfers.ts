// File transfers as the server sees them: it relays an offer to a user or to a room's members,
// then relays chunks from the sender to each member who accepted, never holding more than a
// window of bytes per receiver. Chunk bytes are opaque here: the server reads only the record
// header it routes on, so a client may seal them end to end (a direct or secret-room transfer
// always is: the offer then carries a sealed envelope instead of the file's name and hash).
//
// Flow control is by credit. Each receiver reports the chunk bytes it has written (a window
// record); the sender may send up to the slowest receiver's count plus `windowBytes` in all, and the
// server tells it that limit as it rises. A sender that goes past it is cut off (TRANSFER_OVERRUN);
// a receiver that holds the sender back and makes no progress for `stallMs` is dropped
// (TRANSFER_STALLED), so one stuck member cannot stall a room transfer for ever; and a sender that
// sends nothing for `stallMs` while every receiver has written all it was sent ends the transfer
// (TRANSFER_STALLED), so accepted offers with no data cannot hold the receivers' places.
//
// A person with several sessions (a UI and a `tail`, two laptops) is offered the file in each of
// them; the first session to accept takes it, and the others are told (file_cancelled) that it
// was taken elsewhere. The sender hears one answer per person: a decline counts only once every
// session of that person has declined.

import { CHUNK_MAX_BYTES, RECORD_KIND_CHUNK, RECORD_KIND_WINDOW } from '../protocol/constants.ts';
import { ParlorError, type ErrorCode } from '../protocol/errors.ts';
import type { Request, Reply } from '../protocol/messages.ts';
import type { DecodedRecord } from '../protocol/records.ts';
import { decodeWindowBody, encodeWindowRecord, peekChunkBody } from '../protocol/transfer-records.ts';
import type { ChatService } from './chat.ts';
import { checkSealedSize } from './sealed-size.ts';
import type { Session } from './session.ts';
import { TransferBook, type Receiver, type Transfer } from './transfer-book.ts';

export interface TransferSettings {
  maxTransferBytes: number;
  maxTransfersPerUser: number;
  windowBytes: number;
  answerMs: number;
  stallMs: number;
  /** The largest frame a client may send: a chunk must fit in one. */
  frameCap: number;
}

/** Room for a later end-to-end seal per chunk: a 0-byte file may still carry a little. */
/** The plaintext of a sealed offer at most: a name of 4,096 characters in UTF-8, its size and hash, as JSON. */
const SEALED_FILE_METADATA_BYTES = 4096 * 4 + 256;
const ENVELOPE_ALLOWANCE = (size: number) => 64 * 1024 + Math.ceil(size / 64);

export class TransferService {
  private readonly book: TransferBook;

  constructor(
    private readonly chat: ChatService,
    private readonly settings: TransferSettings,
  ) {
    this.book = new TransferBook(settings.maxTransfersPerUser);
  }

  get activeCount(): number {
    return this.book.size;
  }

  // --- requests ------------------------------------------------------------------------------

  offer(session: Session, request: Request<'file_offer'>): Reply<'file_offer'> {
    const user = session.user;
    if (!user) throw new ParlorError('NOT_LOGGED_IN');
    if (request.size > this.settings.maxTransferBytes) {
      throw new ParlorError('TRANSFER_TOO_LARGE', `this server relays files of at most ${this.settings.maxTransferBytes} bytes`);
    }
    this.book.checkRoomFor(session, 'you have');
    let recipients: Session[];
    let room: string | undefined;
    /** Keys the sender may have sealed to, at most: every member's, and its own. */
    let sealedTo = 2;
    if (request.to !== undefined) {
      const sessions = this.chat.transferRecipient(session, request.to);
      recipients = sessions.filter((recipient) => this.book.hasRoomFor(recipient));
      if (recipients.length === 0) this.book.checkRoomFor(sessions[0]!, `${sessions[0]!.user!.name} has`);
    } else {
      const found = this.chat.transferRoom(session, request.room!);
      // As for `say`: a secret room's files travel sealed, so a careless client cannot leak one.
      if (found.secret && request.sealed === undefined) throw new ParlorError('E2E_REQUIRED', `#${found.name} is secret: files to it must be sealed end-to-end`);
      room = found.name;
      sealedTo = found.members.length + 1;
      recipients = found.members.filter((member) => this.book.hasRoomFor(member));
      if (recipients.length === 0) throw new ParlorError('TRANSFER_DECLINED', `nobody else in #${room} can receive a file now`);
    }

    // A sealed offer carries only the file's name, size and hash, and is sent to each receiver:
    // sized like a sealed message of that much text (MESSAGE_TOO_LONG beyond), as `say` is.
    if (request.sealed !== undefined) checkSealedSize(request.sealed, sealedTo, SEALED_FILE_METADATA_BYTES, 'offering a file');

    const transfer: Transfer = {
      id: this.book.newId(),
      sender: session,
      senderName: user.name,
      size: request.size,
      receivers: new Map(recipients.map((s) => [s, { session: s, name: s.user!.name, state: 'offered', consumed: 0, lastProgressAt: Date.now() }])),
      relayed: 0,
      limit: 0,
      maxWireBytes: request.size + ENVELOPE_ALLOWANCE(request.size),
      started: false,
      blockedSince: undefined,
      lastChunkAt: Date.now(),
      answerTimer: undefined,
      stallTimer: undefined,
    };
    this.book.add(transfer);
    transfer.answerTimer = setTimeout(() => this.answersDue(transfer), this.settings.answerMs);
    transfer.answerTimer.unref();

    const offered = {
      type: 'file_offered',
      transfer: transfer.id,
      from: user.name,
      ...(room === undefined ? { to: recipients[0]!.user!.name } : { room }),
      size: request.size,
      // Either the name and hash in clear, or the sealed envelope that carries them (end to end).
      ...(request.sealed === undefined ? { name: request.name, sha256: request.sha256 } : { sealed: request.sealed }),
    };
    for (const recipient of recipients) recipient.send(offered);
    return {
      transfer: transfer.id,
      recipients: [...new Set(recipients.map((s) => s.user!.name))],
      chunkBytes: Math.min(CHUNK_MAX_BYTES, this.settings.frameCap - 1024),
    };
  }

  accept(session: Session, request: Request<'file_accept'>): Reply<'file_accept'> {
    const { transfer, receiver } = this.book.receiverOf(session, request.transfer);
    if (receiver.state !== 'offered') throw new ParlorError('TRANSFER_NOT_FOUND', 'you have accepted this transfer already');
    receiver.state = 'receiving';
    receiver.lastProgressAt = Date.now();
    // Taken here: the same person's other sessions no longer need to answer.
    for (const sibling of this.siblingsOf(transfer, receiver)) {
      if (sibling.state !== 'offered') continue;
      sibling.session.send({ type: 'file_cancelled', transfer: transfer.id, code: 'TRANSFER_CANCELLED', message: 'you took this file in another session' });
      transfer.receivers.delete(sibling.session);
      this.book.unlink(sibling.session, transfer);
    }
    this.tellSender(transfer, { name: receiver.name, status: 'accepted' });
    this.maybeStart(transfer);
    return { transfer: transfer.id };
  }

  decline(session: Session, request: Request<'file_decline'>): Reply<'file_decline'> {
    const { transfer, receiver } = this.book.receiverOf(session, request.transfer);
    if (receiver.state !== 'offered') throw new ParlorError('TRANSFER_NOT_FOUND', 'you have accepted this transfer already: cancel it instead');
    const code = request.code ?? 'TRANSFER_DECLINED';
    this.removeReceiver(transfer, receiver, { status: 'declined', code, message: request.message ?? `${receiver.name} declined the file` });
    return { transfer: transfer.id };
  }

  cancel(session: Session, request: Request<'file_cancel'>): Reply<'file_cancel'> {
    const transfer = this.book.get(request.transfer);
    if (transfer && transfer.sender === session) {
      this.end(transfer, 'TRANSFER_CANCELLED', request.message ?? `${transfer.senderName} cancelled the transfer`, false);
      return { transfer: transfer.id };
    }
    const { receiver } = this.book.receiverOf(session, request.transfer);
    const code = request.code ?? 'TRANSFER_CANCELLED';
    this.removeReceiver(transfer!, receiver, { status: 'failed', code, message: request.message ?? `${receiver.name} cancelled the transfer` });
    return { transfer: request.transfer };
  }

  /** A receiver has the whole file, checked against its size and SHA-256. */
  done(session: Session, request: Request<'file_done'>): Reply<'file_done'> {
    const { transfer, receiver } = this.book.receiverOf(session, request.transfer);
    if (receiver.state !== 'receiving') throw new ParlorError('TRANSFER_NOT_FOUND', 'accept the transfer first');
    this.removeReceiver(transfer, receiver, { status: 'received' });
    return { transfer: transfer.id };
  }

  // --- binary records ------------------------------------------------------------------------

  /** A chunk or window record from a session. Records for a transfer that has ended are dropped. */
  onRecord(session: Session, record: DecodedRecord): void {
    if (record.kind === RECORD_KIND_CHUNK) return this.onChunk(session, record);
    if (record.kind === RECORD_KIND_WINDOW) return this.onWindow(session, record);
    throw new ParlorError('BAD_MESSAGE', `unknown record kind 0x${record.kind.toString(16).padStart(2, '0')}`);
  }

  private onChunk(session: Session, record: DecodedRecord): void {
    const { transfer: id, dataBytes } = peekChunkBody(record.body);
    const transfer = this.book.get(id);
    // A chunk already in flight when its transfer was cancelled: not an error.
    if (!transfer || transfer.sender !== session) return;
    if (!transfer.started || transfer.relayed + dataBytes > transfer.limit) {
      this.end(transfer, 'TRANSFER_OVERRUN', `${transfer.senderName} sent past what the receivers allowed`);
      return;
    }
    transfer.relayed += dataBytes;
    transfer.lastChunkAt = Date.now();
    if (transfer.relayed >= transfer.limit && transfer.blockedSince === undefined) transfer.blockedSince = Date.now();
    // Straight to the connection's bulk queue, past the session's SLOW_CONSUMER check: these bytes
    // are bounded by the credit above (and excused from the cap through transferAllowance), and
    // chat to the same receiver overtakes them.
    for (const receiver of transfer.receivers.values()) {
      if (receiver.state !== 'receiving') continue;
      receiver.session.transferAllowance += dataBytes;
      receiver.session.connection.sendBulk(record.raw);
    }
  }

  private onWindow(session: Session, record: DecodedRecord): void {
    const { transfer: id, bytes } = decodeWindowBody(record.body);
    const transfer = this.book.get(id);
    const receiver = transfer?.receivers.get(session);
    if (!transfer || !receiver || receiver.state !== 'receiving') return;
    // A receiver cannot claim bytes it was never sent: that would let the sender overrun others.
    const consumed = Math.min(bytes, transfer.relayed);
    if (consumed <= receiver.consumed) return;
    session.transferAllowance -= consumed - receiver.consumed;
    receiver.consumed = consumed;
    receiver.lastProgressAt = Date.now();
    this.grant(transfer);
  }

  // --- sessions ------------------------------------------------------------------------------

  /** A session ended: its transfers end with it (as sender) or go on without it (as receiver). */
  drop(session: Session): void {
    for (const transfer of this.book.of(session)) {
      if (transfer.sender === session) {
        this.end(transfer, 'TRANSFER_CANCELLED', `${transfer.senderName} disconnected`, false);
      } else {
        const receiver = transfer.receivers.get(session);
        if (receiver) this.removeReceiver(transfer, receiver, { status: 'failed', code: 'CONNECTION_CLOSED', message: `${receiver.name} disconnected` }, false);
      }
    }
    this.book.forget(session);
  }

  /**
   * A block between two users ends what is under way between them, as it stops their messages: the
   * blocker no longer receives the other's file, nor the other the blocker's. Each side is told
   * BLOCKED (a receiver through file_cancelled, which deletes its partial file). A room transfer
   * goes on for the room's other members.
   */
  cutBetween(a: string, b: string): void {
    const message = 'one of you has blocked the other: the transfer stopped';
    for (const transfer of this.book.all()) {
      const senderKey = transfer.sender.user?.key;
      if (senderKey !== a && senderKey !== b) continue;
      const other = senderKey === a ? b : a;
      for (const receiver of [...transfer.receivers.values()]) {
        if (receiver.session.user?.key !== other) continue;
        receiver.session.send({ type: 'file_cancelled', transfer: transfer.id, code: 'BLOCKED', message });
        this.removeReceiver(transfer, receiver, { status: 'failed', code: 'BLOCKED', message });
      }
    }
  }

  // --- the life of a transfer ----------------------------------------------------------------

  /** Starts once nobody's answer is outstanding: a member who accepts late would miss the start. */
  private maybeStart(transfer: Transfer): void {
    if (transfer.started) return;
    const states = [...transfer.receivers.values()].map((r) => r.state);
    if (states.includes('offered')) return;
    if (states.length === 0) return this.finish(transfer);
    transfer.started = true;
    transfer.lastChunkAt = Date.now();
    clearTimeout(transfer.answerTimer);
    transfer.stallTimer = setInterval(() => this.checkStalls(transfer), Math.max(50, Math.floor(this.settings.stallMs / 4)));
    transfer.stallTimer.unref();
    this.grant(transfer);
  }

  private answersDue(transfer: Transfer): void {
    for (const receiver of [...transfer.receivers.values()]) {
      if (receiver.state !== 'offered') continue;
      receiver.session.send({ type: 'file_cancelled', transfer: transfer.id, code: 'TRANSFER_CANCELLED', message: 'the offer expired before you answered' });
      this.removeReceiver(transfer, receiver, { status: 'declined', code: 'TRANSFER_DECLINED', message: `${receiver.name} did not answer in time` });
    }
  }

  /** Raises the sender's credit to the slowest receiver's progress plus the window. */
  private grant(transfer: Transfer): void {
    if (!transfer.started || !this.book.has(transfer)) return;
    let slowest = Infinity;
    for (const receiver of transfer.receivers.values()) if (receiver.state === 'receiving') slowest = Math.min(slowest, receiver.consumed);
    if (slowest === Infinity) return;
    const limit = Math.min(slowest + this.settings.windowBytes, transfer.maxWireBytes);
    if (limit <= transfer.limit) return;
    transfer.limit = limit;
    if (transfer.relayed < limit) transfer.blockedSince = undefined;
    transfer.sender.connection.sendRecord(encodeWindowRecord({ transfer: transfer.id, bytes: limit }));
  }

  private checkStalls(transfer: Transfer): void {
    const now = Date.now();
    if (transfer.blockedSince === undefined) return this.checkSenderStall(transfer, now);
    for (const receiver of [...transfer.receivers.values()]) {
      if (receiver.state !== 'receiving' || receiver.consumed >= transfer.relayed) continue;
      if (now - Math.max(receiver.lastProgressAt, transfer.blockedSince) < this.settings.stallMs) continue;
      const message = `${receiver.name} wrote nothing for ${Math.round(this.settings.stallMs / 1000)} s and was dropped from the transfer`;
      receiver.session.send({ type: 'file_cancelled', transfer: transfer.id, code: 'TRANSFER_STALLED', message });
      this.removeReceiver(transfer, receiver, { status: 'failed', code: 'TRANSFER_STALLED', message });
      if (!this.book.has(transfer)) return;
    }
  }

  /** The sender has credit, everyone has written what it sent, and nothing more comes: it is the one stalled. */
  private checkSenderStall(transfer: Transfer, now: number): void {
    if (now - transfer.lastChunkAt < this.settings.stallMs) return;
    for (const receiver of transfer.receivers.values()) if (receiver.state === 'receiving' && receiver.consumed < transfer.relayed) return;
    this.end(transfer, 'TRANSFER_STALLED', `${transfer.senderName} sent nothing for ${Math.round(this.settings.stallMs / 1000)} s: the transfer was ended`);
  }

  private removeReceiver(
    transfer: Transfer,
    receiver: Receiver,
    status: { status: 'declined' | 'received' | 'failed'; code?: ErrorCode; message?: string },
    unlinkSession = true,
  ): void {
    transfer.receivers.delete(receiver.session);
    receiver.session.transferAllowance -= transfer.relayed - receiver.consumed;
    if (unlinkSession) this.book.unlink(receiver.session, transfer);
    // While another session of the same person is still in it, that person has not answered yet.
    if (this.siblingsOf(transfer, receiver).length === 0) this.tellSender(transfer, { name: receiver.name, ...status });
    if (transfer.receivers.size === 0) return this.finish(transfer);
    if (transfer.started) this.grant(transfer);
    else this.maybeStart(transfer);
  }

  /** Ends the whole transfer: every receiver still in it is told why, and so is the sender. */
  private end(transfer: Transfer, code: ErrorCode, message: string, tellSender = true): void {
    for (const receiver of transfer.receivers.values()) {
      receiver.session.transferAllowance -= transfer.relayed - receiver.consumed;
      receiver.session.send({ type: 'file_cancelled', transfer: transfer.id, code, message });
      this.book.unlink(receiver.session, transfer);
    }
    transfer.receivers.clear();
    if (tellSender) transfer.sender.send({ type: 'file_cancelled', transfer: transfer.id, code, message });
    this.finish(transfer);
  }

  private finish(transfer: Transfer): void {
    clearTimeout(transfer.answerTimer);
    clearInterval(transfer.stallTimer);
    this.book.remove(transfer);
  }

  /** The other sessions of the receiver's person that are in the transfer. */
  private siblingsOf(transfer: Transfer, receiver: Receiver): Receiver[] {
    const key = receiver.session.user?.key;
    return [...transfer.receivers.values()].filter((other) => other !== receiver && other.session.user?.key === key);
  }

  private tellSender(transfer: Transfer, status: { name: string; status: string; code?: string; message?: string }): void {
    transfer.sender.send({ type: 'file_status', transfer: transfer.id, ...status });
  }
}
