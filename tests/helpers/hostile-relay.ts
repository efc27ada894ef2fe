// A hostile relay for end-to-end file transfer and direct messages: the product's own in-process
// server, with the places where it hands a transfer or a live DM to a receiver turned against it. Offers (file_offered, sent
// through Session.send) and chunk records (queued through the receiver's SecureConnection.sendBulk)
// pass through the test's functions, which may alter, reorder, drop, repeat, cut, extend or swap
// them, exactly as a server operator who changed the relay could. Everything else is untouched:
// the sealed transport, the flow control, the clients. Undo it with the returned function.

import { RECORD_KIND_JSON } from '../../src/protocol/constants.ts';
import { FRAME_HEADER_BYTES } from '../../src/protocol/frame.ts';
import { encodeJsonRecord } from '../../src/protocol/records.ts';
import { Session } from '../../src/server/session.ts';
import type { ParlorServer } from '../../src/server/server.ts';
import { SecureConnection } from '../../src/transport/secure-connection.ts';

export interface Tampering {
  /** Given each chunk record relayed to a receiver (a copy, numbered from 0), returns what to send instead. */
  chunk?: (record: Buffer, index: number) => Buffer[];
  /** Given each file_offered message, returns the messages to send instead. */
  offer?: (offer: Record<string, unknown>) => Array<Record<string, unknown>>;
  /** Given each direct message delivered live (a `message` with `to`), returns the messages to send instead. */
  direct?: (message: Record<string, unknown>) => Array<Record<string, unknown>>;
}

export function makeRelayHostile(server: ParlorServer, tampering: Tampering): () => void {
  const port = server.address.port;
  const sendBulk = SecureConnection.prototype.sendBulk;
  const send = Session.prototype.send;
  const sendRecord = Session.prototype.sendRecord;
  let index = 0;
  SecureConnection.prototype.sendBulk = function (this: SecureConnection, record: Buffer): void {
    // Only the server's side of a connection (its local port is the server's) relays chunks.
    if (!tampering.chunk || this.socket.localPort !== port) return sendBulk.call(this, record);
    for (const out of tampering.chunk(Buffer.from(record), index++)) sendBulk.call(this, out);
  };
  Session.prototype.send = function (this: Session, message: object): void {
    const typed = message as Record<string, unknown>;
    if (tampering.direct && typed.type === 'message' && typed.to !== undefined) {
      for (const out of tampering.direct({ ...typed })) send.call(this, out);
      return;
    }
    if (!tampering.offer || typed.type !== 'file_offered') return send.call(this, message);
    for (const out of tampering.offer({ ...typed })) send.call(this, out);
  };
  // A live DM is encoded once and handed to each of the recipient's sessions as a record.
  Session.prototype.sendRecord = function (this: Session, record: Buffer, mayWait?: boolean): void {
    if (!tampering.direct || record[FRAME_HEADER_BYTES] !== RECORD_KIND_JSON) return sendRecord.call(this, record, mayWait);
    const typed = JSON.parse(record.subarray(FRAME_HEADER_BYTES + 1).toString('utf8')) as Record<string, unknown>;
    if (typed.type !== 'message' || typed.to === undefined) return sendRecord.call(this, record, mayWait);
    for (const out of tampering.direct({ ...typed })) sendRecord.call(this, encodeJsonRecord(out), mayWait);
  };
  return () => {
    SecureConnection.prototype.sendBulk = sendBulk;
    Session.prototype.send = send;
    Session.prototype.sendRecord = sendRecord;
  };
}

/** A chunk record's parts, and one rebuilt with other data (its length field set to match). */
export const CHUNK_DATA_AT = 18;

export function withData(record: Buffer, data: Buffer): Buffer {
  const out = Buffer.concat([record.subarray(0, CHUNK_DATA_AT), data]);
  out.writeUInt32BE(out.length - 4, 0);
  return out;
}

export function withTransfer(record: Buffer, transfer: number): Buffer {
  const out = Buffer.from(record);
  out.writeUInt32BE(transfer, 5);
  return out;
}

export function withOffset(record: Buffer, offset: number): Buffer {
  const out = Buffer.from(record);
  out.writeUInt32BE(Math.floor(offset / 0x1_0000_0000), 9);
  out.writeUInt32BE(offset >>> 0, 13);
  return out;
}
