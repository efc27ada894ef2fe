// Serving what others sent back to the page, so that it can never run as part of it: a received
// file only as an attachment (the browser saves it, never shows it in our origin), a picture only
// with the image type sharp found in its bytes (not the one the sender claimed, nor one a
// browser would sniff), both with nosniff.

import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';

const IMAGE_TYPES: Record<string, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };

/** RFC 6266: an ASCII fallback and the UTF-8 name, neither able to break out of the header. */
export function attachmentHeader(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export async function servedFile(response: ServerResponse, headers: Record<string, string>, file: { path: string; name: string }): Promise<void> {
  response.writeHead(200, { ...headers, 'Content-Type': 'application/octet-stream', 'Content-Disposition': attachmentHeader(file.name) });
  await pipeline(createReadStream(file.path), response).catch(() => response.destroy());
}

export async function servedImage(response: ServerResponse, headers: Record<string, string>, path: string): Promise<void> {
  const sharp = (await import('sharp')).default;
  const format = await sharp(path).metadata().then((m) => m.format, () => undefined);
  const type = format === undefined ? undefined : IMAGE_TYPES[format];
  if (type === undefined) {
    response.writeHead(415, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
    return void response.end('not a picture');
  }
  response.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Disposition': 'inline' });
  await pipeline(createReadStream(path), response).catch(() => response.destroy());
}
