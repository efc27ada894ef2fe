// One logged-in (or logging-in) connection: who it is, which rooms it is in, its limits, and the
// one way to send to it, which enforces the outbound cap.

import type { AuthenticatedClient } from '../crypto/server-handshake.ts';
import { ParlorError } from '../protocol/errors.ts';
import { encodeJsonRecord } from '../protocol/records.ts';
import type { RemovalNotice } from '../protocol/operator-notices.ts';
import type { SecureConnection } from '../transport/secure-connection.ts';

export interface SessionLimits {
  maxOutboundBytes: number;
}

let nextSessionId = 1;

export class Session {
  readonly id = nextSessionId++;
  user: { key: string; name: string } | undefined;
  /** Given at login: a reconnecting client names it (`resume`) so that this session, if still here, is replaced. */
  token: string | undefined;
  /** Set by an operator's kick or ban just before closing: the rooms are told who and why. */
  removedBy: RemovalNotice | undefined;
  /** Resumed on another server of the chat (its `resume` named this one): its rooms are not told it left. */
  handedOff = false;
  /** Elevated by /op with the operator password, for this session only. */
  operator = false;
  /** Keys of the rooms this session is in. */
  readonly rooms = new Set<string>();
  /**
   * File chunk bytes relayed to this session that it has not yet reported written (transfers.ts).
   * They are bounded by flow control, so they do not count towards the SLOW_CONSUMER cap.
   */
  transferAllowance = 0;
  /**
   * Set for a visitor through the SSH front door (src/ssh): the server terminates that SSH session
   * and reads all it says and receives, so it is never end-to-end, and its peers are told so.
   */
  via: 'ssh' | undefined;
  /** An SSH visitor without a key: its name is never reserved. */
  guest = false;
  /** Closes the connection if it has not logged in by then (server.ts). */
  loginDeadline: NodeJS.Timeout | undefined;

  constructor(
    readonly connection: SecureConnection,
    readonly client: AuthenticatedClient,
    /** The peer's IP address, without port: the unit of per-address limits. */
    readonly address: string,
    readonly remote: string,
    private readonly limits: SessionLimits,
    /** Frees this connection's place among its address's not-yet-logged-in connections. */
    readonly releaseUnauthenticatedSlot: () => void = () => {},
  ) {}

  /** The logged-in user, or NOT_LOGGED_IN for a request that needs one. */
  requireUser(): { key: string; name: string } {
    if (!this.user) throw new ParlorError('NOT_LOGGED_IN');
    return this.user;
  }

  get isOpen(): boolean {
    return this.connection.isOpen;
  }

  send(message: object): void {
    this.sendRecord(encodeJsonRecord(message));
  }

  /**
   * Queues an encoded record. A reader that stopped reading is dropped once its backlog passes the
   * cap, so one stuck client cannot make the server hold an unbounded amount of memory for it.
   */
  sendRecord(record: Buffer, mayWait = false): void {
    if (!this.connection.isOpen) return;
    if (this.connection.bufferedBytes + record.length > this.limits.maxOutboundBytes + this.transferAllowance) {
      this.connection.close('SLOW_CONSUMER', `more than ${this.limits.maxOutboundBytes} bytes waited for this client to read them`);
      return;
    }
    this.connection.sendRecord(record, mayWait);
  }

  reply(id: number, data?: unknown): void {
    this.send(data === undefined ? { type: 'reply', re: id } : { type: 'reply', re: id, data });
  }

  fail(id: number | undefined, error: ParlorError, extra: { retryAfterMs?: number } = {}): void {
    this.send({ type: 'error', ...(id !== undefined && { re: id }), code: error.code, message: error.message, ...extra });
  }
}
