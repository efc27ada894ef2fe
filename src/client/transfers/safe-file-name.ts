// The name a received file is saved under. The sender chose the name, so it is hostile until made
// safe: it must not reach outside the downloads dir (separators, `..`), hide itself (a leading
// dot), disguise its type (a bidi override turns "\u202Egnp.exe" into what looks like "exe.png"),
// carry control characters into a terminal, exceed what a file system takes, or replace a file
// that is already there.

import { link, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** Bytes of UTF-8 a saved name may have: under the 255 of common file systems, with room for " (99)". */
export const SAFE_NAME_MAX_BYTES = 200;
const FALLBACK_NAME = 'file';
/** An extension longer than this is treated as part of the name when cutting it to length. */
const MAX_EXTENSION_CHARS = 16;

// Control, format (bidi overrides, zero-width), line and paragraph separators, unassigned and
// private-use code points, and lone surrogates: none has any business in a file name.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cn}\p{Co}\p{Cs}]/gu;
// Separators on any system the file may be copied to, and what Windows forbids in names.
const FORBIDDEN = /[/\\:*?"<>|]/g;
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;

/** A file name that is safe to create in the downloads dir, derived from the sender's name. */
export function safeFileName(offered: string): string {
  let name = offered.normalize('NFC').replace(INVISIBLE, '').replace(FORBIDDEN, '_');
  name = name.replace(/\s+/gu, ' ').trim();
  // No leading dots (hidden files, `.`, `..`) and no trailing dots or spaces (Windows drops them).
  name = name.replace(/^[.\s]+/u, '').replace(/[.\s]+$/u, '');
  if (WINDOWS_DEVICE.test(name)) name = `_${name}`;
  name = truncateUtf8(name, SAFE_NAME_MAX_BYTES);
  return name === '' ? FALLBACK_NAME : name;
}

/** Splits "report.final.pdf" into "report.final" and ".pdf"; a name without a stem keeps it all. */
export function splitExtension(name: string): { stem: string; extension: string } {
  const dot = name.lastIndexOf('.');
  if (dot <= 0 || name.length - dot > MAX_EXTENSION_CHARS + 1) return { stem: name, extension: '' };
  return { stem: name.slice(0, dot), extension: name.slice(dot) };
}

/** The n-th alternative of a name: "photo.jpg", "photo (1).jpg", "photo (2).jpg", ... */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const { stem, extension } = splitExtension(name);
  return `${stem} (${n})${extension}`;
}

/**
 * Moves a finished temp file into `dir` under `name`, or `name (1)` and so on when that exists:
 * link() fails rather than replace an existing file, which rename() would silently do. Returns
 * the path it was saved at.
 */
export async function saveWithoutOverwriting(tempPath: string, dir: string, name: string, maxAttempts = 10_000): Promise<string> {
  for (let n = 0; n < maxAttempts; n++) {
    const target = join(dir, numberedName(name, n));
    try {
      await link(tempPath, target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await unlink(tempPath);
    return target;
  }
  throw new Error(`${maxAttempts} files named like "${name}" exist already`);
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character, keeping a short extension. */
function truncateUtf8(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const { stem, extension } = splitExtension(name);
  const room = maxBytes - Buffer.byteLength(extension);
  let cut = '';
  let bytes = 0;
  for (const char of stem) {
    const size = Buffer.byteLength(char);
    if (bytes + size > room) break;
    cut += char;
    bytes += size;
  }
  return (cut.replace(/[.\s]+$/u, '') || FALLBACK_NAME) + extension;
}
