// Sealing and opening frames after the handshake: AES-256-GCM, one key per direction, and a
// per-direction counter as the nonce. The counter also travels in clear in front of the
// ciphertext, only so that the receiver can say *why* a frame failed (replayed, out of order, or
// altered); the receiver never trusts it: it must equal the count the receiver kept itself, and it
// is the nonce, so altering it fails the tag.

import { createCipheriv, createDecipheriv, type CipherGCM } from 'node:crypto';
import { SEAL_COUNTER_BYTES, SEAL_OVERHEAD, SEAL_TAG_BYTES } from '../protocol/constants.ts';
import { ParlorError } from '../protocol/errors.ts';
import { FRAME_HEADER_BYTES } from '../protocol/frame.ts';

const ALGORITHM = 'aes-256-gcm';
const NONCE_BYTES = 12;
/** Counters stay below 2^53 (a JS integer); at a million frames a second that is 285 years. */
const MAX_COUNTER = Number.MAX_SAFE_INTEGER;
/** Records are joined before sealing below this many bytes in all, and sealed one by one above. */
const JOIN_BELOW_BYTES = 64 * 1024;

function writeCounter(target: Buffer, offset: number, counter: number): void {
  target.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), offset);
  target.writeUInt32BE(counter >>> 0, offset + 4);
}

/**
 * One nonce buffer for every frame of the process: createCipheriv and createDecipheriv copy the IV
 * before they return, so it is free again at once. A fresh 12-byte buffer per frame was its own
 * ArrayBuffer each time, two per connection before the first message and one per frame after.
 * Its first four bytes stay zero; the counter fills the other eight.
 */
const scratchNonce = Buffer.alloc(NONCE_BYTES);

function nonceFor(counterBytes: Buffer): Buffer {
  counterBytes.copy(scratchNonce, NONCE_BYTES - SEAL_COUNTER_BYTES);
  return scratchNonce;
}

export class FrameSealer {
  private counter = 0;

  constructor(private readonly key: Buffer) {}

  /** Seals the concatenation of `parts` (records) into one frame payload. */
  seal(parts: readonly Buffer[]): Buffer {
    return this.sealInto(parts, 0);
  }

  /**
   * The same, with the 4-byte frame length in front: ready for the socket without the copy that
   * framing it afterwards would cost (one per recipient per turn in a fan-out).
   */
  sealFrame(parts: readonly Buffer[]): Buffer {
    const frame = this.sealInto(parts, FRAME_HEADER_BYTES);
    frame.writeUInt32BE(frame.length - FRAME_HEADER_BYTES, 0);
    return frame;
  }

  /**
   * The same frame as pieces for a vectored write: length and counter, the ciphertext as the
   * cipher produced it (one piece per part), and the tag. A frame of file chunks is then never
   * copied into one buffer, nor that buffer allocated: each hop saves a chunk-sized copy and
   * allocation, which was much of its garbage collection.
   */
  sealFrameParts(parts: readonly Buffer[]): Buffer[] {
    if (this.counter >= MAX_COUNTER) throw new ParlorError('INTERNAL', 'frame counter exhausted');
    let length = 0;
    for (const part of parts) length += part.length;
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + SEAL_COUNTER_BYTES);
    head.writeUInt32BE(SEAL_OVERHEAD + length, 0);
    writeCounter(head, FRAME_HEADER_BYTES, this.counter++);
    const cipher = createCipheriv(ALGORITHM, this.key, nonceFor(head.subarray(FRAME_HEADER_BYTES)));
    const out: Buffer[] = [head];
    encryptInRuns(cipher, parts, (sealed) => out.push(sealed));
    cipher.final();
    out.push(cipher.getAuthTag());
    return out;
  }

  private sealInto(parts: readonly Buffer[], headroom: number): Buffer {
    if (this.counter >= MAX_COUNTER) throw new ParlorError('INTERNAL', 'frame counter exhausted');
    let length = 0;
    for (const part of parts) length += part.length;
    const out = Buffer.allocUnsafe(headroom + SEAL_OVERHEAD + length);
    writeCounter(out, headroom, this.counter++);
    const counterBytes = out.subarray(headroom, headroom + SEAL_COUNTER_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.key, nonceFor(counterBytes));
    let offset = headroom + SEAL_COUNTER_BYTES;
    if (parts.length === 1 || length < JOIN_BELOW_BYTES) {
      // One cipher.update over the joined records: a fan-out frame holds dozens of small records,
      // and each update call is a crossing into C++ that costs more than copying them together.
      offset += cipher.update(parts.length === 1 ? parts[0]! : Buffer.concat(parts, length)).copy(out, offset);
    } else {
      encryptInRuns(cipher, parts, (sealed) => (offset += sealed.copy(out, offset)));
    }
    offset += cipher.final().copy(out, offset);
    cipher.getAuthTag().copy(out, offset);
    return out;
  }
}

/**
 * Encrypts a frame's records in order: a large one (a file chunk) as it is, since joining would
 * copy it once more; small ones joined in runs of up to JOIN_BELOW_BYTES, since a backlog holds
 * hundreds of 150-byte chat records and an update (and a write) per record costs far more than
 * the copy.
 */
function encryptInRuns(cipher: CipherGCM, parts: readonly Buffer[], emit: (sealed: Buffer) => void): void {
  let run: Buffer[] = [];
  let runBytes = 0;
  const sealRun = () => {
    if (runBytes > 0) emit(cipher.update(run.length === 1 ? run[0]! : Buffer.concat(run, runBytes)));
    run = [];
    runBytes = 0;
  };
  for (const part of parts) {
    if (part.length === 0) continue;
    if (part.length >= JOIN_BELOW_BYTES) {
      sealRun();
      emit(cipher.update(part));
    } else {
      run.push(part);
      runBytes += part.length;
      if (runBytes >= JOIN_BELOW_BYTES) sealRun();
    }
  }
  sealRun();
}

export class FrameOpener {
  private expected = 0;

  constructor(private readonly key: Buffer) {}

  /** Opens one frame payload; throws the reason it cannot (FRAME_*), after which the stream is dead. */
  open(payload: Buffer): Buffer {
    if (payload.length < SEAL_OVERHEAD) {
      throw new ParlorError('FRAME_MALFORMED', `a sealed frame of ${payload.length} bytes is shorter than its overhead`);
    }
    const counterBytes = payload.subarray(0, SEAL_COUNTER_BYTES);
    const claimed = counterBytes.readUInt32BE(0) * 0x1_0000_0000 + counterBytes.readUInt32BE(4);
    if (claimed < this.expected) {
      throw new ParlorError('FRAME_REPLAYED', `frame ${claimed} was already received (expected ${this.expected})`);
    }
    if (claimed > this.expected) {
      throw new ParlorError('FRAME_OUT_OF_ORDER', `frame ${claimed} arrived while ${this.expected} was due`);
    }
    const decipher = createDecipheriv(ALGORITHM, this.key, nonceFor(counterBytes));
    decipher.setAuthTag(payload.subarray(payload.length - SEAL_TAG_BYTES));
    try {
      const plaintext = decipher.update(payload.subarray(SEAL_COUNTER_BYTES, payload.length - SEAL_TAG_BYTES));
      // GCM is a stream mode: final() only checks the tag and returns no bytes, so nothing is
      // joined (a frame of file chunks would otherwise be copied once more).
      decipher.final();
      this.expected++;
      return plaintext;
    } catch (cause) {
      throw new ParlorError('FRAME_AUTH_FAILED', 'a sealed frame failed authentication: it was altered or forged', { cause });
    }
  }
}
