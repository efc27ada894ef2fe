// Numbers that both ends of the wire must agree on. docs/protocol.md explains each one.

export const PROTOCOL_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/** "PRLR": the first bytes after the message type of a ClientHello, so a stray client fails fast. */
export const HANDSHAKE_MAGIC = Buffer.from('PRLR', 'ascii');

export const X25519_KEY_BYTES = 32;
export const ED25519_KEY_BYTES = 32;
export const ED25519_SIGNATURE_BYTES = 64;
export const SESSION_SECRET_BYTES = 32;
export const FINISHED_MAC_BYTES = 32;

/** RSA identity keys: 2048 bits is the minimum; 4096 the maximum a ClientHello may carry. */
export const RSA_MIN_MODULUS_BYTES = 256;
export const RSA_MAX_MODULUS_BYTES = 512;
export const RSA_PUBLIC_EXPONENT = 65537;

export const SERVER_NAME_MAX_BYTES = 64;

/** A frame during the handshake: the largest legal ClientHello is under 600 bytes. */
export const HANDSHAKE_FRAME_CAP = 2048;

/** Sealed frames: an 8-byte counter, then AES-256-GCM ciphertext, then its 16-byte tag. */
export const SEAL_COUNTER_BYTES = 8;
export const SEAL_TAG_BYTES = 16;
export const SEAL_OVERHEAD = SEAL_COUNTER_BYTES + SEAL_TAG_BYTES;

/** Inner records of a sealed frame: the kind byte that starts each one. */
export const RECORD_KIND_JSON = 0x01;
/**
 * A sender puts at most this many records in one sealed frame (more go in the next frame of the
 * same write); a server refuses frames with more than its --max-records-per-frame (at least this).
 */
export const SENT_RECORDS_PER_FRAME_MAX = 64;

// File transfer: binary records inside sealed frames (docs/protocol.md, "File transfer").
/** A chunk of a file: transfer id, offset, flags, then the (possibly deflated) bytes. */
export const RECORD_KIND_CHUNK = 0x02;
/** Flow control for a transfer: transfer id and a byte count (consumed, or allowed in all). */
export const RECORD_KIND_WINDOW = 0x03;
/** The most file bytes one chunk may carry before compression; the server may ask for fewer. */
export const CHUNK_MAX_BYTES = 256 * 1024;
