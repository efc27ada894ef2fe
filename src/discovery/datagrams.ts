// The two discovery datagrams. A probe is padded to PROBE_BYTES and an advert is never larger than
// the probe it answers, so the beacon cannot be used to amplify traffic toward a spoofed source.
//
//   probe:  "PRLR?" (5) | version (1) | nonce (16) | zero padding up to PROBE_BYTES
//   advert: "PRLR!" (5) | version (1) | the probe's nonce (16) | UTF-8 JSON (the fields below)

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PROTOCOL_VERSION } from '../protocol/constants.ts';

export { DEFAULT_DISCOVERY_PORT } from '../options.ts';
export const PROBE_BYTES = 1024;
const PROBE_MAGIC = Buffer.from('PRLR?', 'ascii');
const ADVERT_MAGIC = Buffer.from('PRLR!', 'ascii');
const NONCE_BYTES = 16;
const HEADER_BYTES = PROBE_MAGIC.length + 1 + NONCE_BYTES;

export const advertFields = z.object({
  name: z.string().min(1).max(64),
  /** The server's address on the network the probe came from, when it could tell. */
  host: z.string().max(64).optional(),
  port: z.number().int().min(1).max(65535),
  fingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/),
  /** The join password; absent when the server runs --private. */
  password: z.string().max(256).optional(),
  protocol: z.number().int(),
  users: z.number().int().nonnegative(),
  /** The SSH front door's port, when the server runs --ssh. */
  sshPort: z.number().int().min(1).max(65535).optional(),
  /** One chat on several servers (--database): its id, the same in every server's advert (with the same key). */
  chat: z.string().max(64).optional(),
  /** With `chat`: this server's own name among the chat's servers, when it is not the chat's name. */
  server: z.string().min(1).max(64).optional(),
});
export type AdvertFields = z.infer<typeof advertFields>;

export function encodeProbe(nonce: Buffer = randomBytes(NONCE_BYTES)): { bytes: Buffer; nonce: Buffer } {
  const bytes = Buffer.alloc(PROBE_BYTES);
  PROBE_MAGIC.copy(bytes, 0);
  bytes[PROBE_MAGIC.length] = PROTOCOL_VERSION;
  nonce.copy(bytes, PROBE_MAGIC.length + 1);
  return { bytes, nonce };
}

/** The probe's nonce, or undefined for anything that is not a well-formed probe. */
export function decodeProbe(bytes: Buffer): Buffer | undefined {
  if (bytes.length < PROBE_BYTES || !bytes.subarray(0, PROBE_MAGIC.length).equals(PROBE_MAGIC)) return undefined;
  return Buffer.from(bytes.subarray(PROBE_MAGIC.length + 1, HEADER_BYTES));
}

/** The advert for a probe, or undefined when it would not fit in the probe's size. */
export function encodeAdvert(nonce: Buffer, fields: AdvertFields, probeBytes: number): Buffer | undefined {
  const header = Buffer.alloc(HEADER_BYTES);
  ADVERT_MAGIC.copy(header, 0);
  header[ADVERT_MAGIC.length] = PROTOCOL_VERSION;
  nonce.copy(header, ADVERT_MAGIC.length + 1);
  const advert = Buffer.concat([header, Buffer.from(JSON.stringify(fields), 'utf8')]);
  return advert.length <= probeBytes ? advert : undefined;
}

/** The advert's nonce and fields, or undefined for anything malformed, oversize or invalid. */
export function decodeAdvert(bytes: Buffer): { nonce: Buffer; fields: AdvertFields } | undefined {
  if (bytes.length <= HEADER_BYTES || bytes.length > PROBE_BYTES) return undefined;
  if (!bytes.subarray(0, ADVERT_MAGIC.length).equals(ADVERT_MAGIC)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(bytes.subarray(HEADER_BYTES).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = advertFields.safeParse(json);
  if (!parsed.success) return undefined;
  return { nonce: Buffer.from(bytes.subarray(ADVERT_MAGIC.length + 1, HEADER_BYTES)), fields: parsed.data };
}
