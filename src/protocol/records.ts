// The plaintext inside one sealed frame is a run of records, each framed like the outer stream
// (4-byte big-endian length) and starting with a kind byte. Several messages to one recipient
// therefore share one seal: the server batches what a recipient is owed per event-loop turn.

import { RECORD_KIND_JSON } from './constants.ts';
import { FRAME_HEADER_BYTES } from './frame.ts';
import { ParlorError } from './errors.ts';

export interface DecodedRecord {
  kind: number;
  body: Buffer;
  /** The whole record, length prefix included: what a relay forwards without re-encoding it. */
  raw: Buffer;
}

/** One JSON message as a record, ready to be concatenated with others and sealed. */
export function encodeJsonRecord(message: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  const record = Buffer.allocUnsafe(FRAME_HEADER_BYTES + 1 + json.length);
  record.writeUInt32BE(1 + json.length, 0);
  record[FRAME_HEADER_BYTES] = RECORD_KIND_JSON;
  json.copy(record, FRAME_HEADER_BYTES + 1);
  return record;
}

/**
 * Splits a frame's plaintext into records; they must tile it exactly. At most `maxRecords`: a
 * frame with more is refused before any record is parsed (a 1 MiB frame could hold 38,000 tiny
 * requests, each costing a JSON parse and a reply).
 */
export function decodeRecords(plaintext: Buffer, maxRecords = Infinity): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  let offset = 0;
  while (offset < plaintext.length) {
    if (records.length >= maxRecords) throw new ParlorError('BAD_MESSAGE', `a sealed frame carries at most ${maxRecords} records`);
    if (offset + FRAME_HEADER_BYTES > plaintext.length) throw new ParlorError('BAD_MESSAGE', 'a truncated record header');
    const length = plaintext.readUInt32BE(offset);
    const start = offset + FRAME_HEADER_BYTES;
    if (length === 0 || start + length > plaintext.length) throw new ParlorError('BAD_MESSAGE', 'a record overruns its frame');
    records.push({ kind: plaintext[start]!, body: plaintext.subarray(start + 1, start + length), raw: plaintext.subarray(offset, start + length) });
    offset = start + length;
  }
  if (records.length === 0) throw new ParlorError('BAD_MESSAGE', 'a sealed frame with no record');
  return records;
}

/** Parses a JSON record's body to an unknown value (validated against a schema afterwards). */
export function parseJsonRecord(record: Pick<DecodedRecord, 'kind' | 'body'>): unknown {
  if (record.kind !== RECORD_KIND_JSON) {
    throw new ParlorError('BAD_MESSAGE', `unknown record kind 0x${record.kind.toString(16).padStart(2, '0')}`);
  }
  try {
    return JSON.parse(record.body.toString('utf8'));
  } catch {
    throw new ParlorError('BAD_MESSAGE', 'a record is not valid JSON');
  }
}
