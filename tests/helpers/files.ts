// Files for transfer tests: made from a seeded stream (AES-256-CTR over zeros, keyed by the seed),
// so a 200 MiB file costs a fraction of a second, is the same on every run, and does not compress;
// compared chunk by chunk, so a big file is never held in memory whole.

import { createCipheriv, createHash } from 'node:crypto';
import { open, readdir } from 'node:fs/promises';

const BLOCK = 4 * 1024 * 1024;

/** Writes `size` seeded pseudo-random bytes to `path`; resolves with their SHA-256 (hex). */
export async function writeSeededFile(path: string, size: number, seed: string): Promise<string> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(BLOCK);
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    for (let written = 0; written < size; ) {
      const n = Math.min(BLOCK, size - written);
      const bytes = cipher.update(zeros.subarray(0, n));
      hash.update(bytes);
      await handle.write(bytes, 0, bytes.length, written);
      written += n;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** True when two files hold the same bytes, read side by side in blocks. */
export async function sameBytes(a: string, b: string): Promise<boolean> {
  const [ha, hb] = [await open(a, 'r'), await open(b, 'r')];
  try {
    const [sa, sb] = [await ha.stat(), await hb.stat()];
    if (sa.size !== sb.size) return false;
    const [ba, bb] = [Buffer.alloc(BLOCK), Buffer.alloc(BLOCK)];
    for (let offset = 0; offset < sa.size; offset += BLOCK) {
      const n = Math.min(BLOCK, sa.size - offset);
      await ha.read(ba, 0, n, offset);
      await hb.read(bb, 0, n, offset);
      if (!ba.subarray(0, n).equals(bb.subarray(0, n))) return false;
    }
    return true;
  } finally {
    await ha.close();
    await hb.close();
  }
}

/** The names in a dir, temp files (".parlor-*.part") included, sorted. */
export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}
