// /export, after pyChat's export_chat: the conversation on screen as plain text, one line a message
// with its date, time and sender. Everything is made inert first: an exported file opened later
// with `cat` must not be able to do what the chat screen refused to do.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { inertText } from './inert-text.ts';

export const EXPORTS_DIR = 'exports';

export interface ExportLine {
  ts: number;
  from: string;
  text: string;
}

export function formatExport(title: string, lines: readonly ExportLine[], exportedAt = new Date()): string {
  const header = [`parlor: ${inertText(title)}`, `exported ${stamp(exportedAt.getTime())}, ${lines.length} message${lines.length === 1 ? '' : 's'}`, ''];
  const body = lines.map((line) => `[${stamp(line.ts)}] ${inertText(line.from)}: ${inertText(line.text, { keepNewlines: true }).replace(/\n/g, '\n    ')}`);
  return [...header, ...body].join('\n') + '\n';
}

/** `exports/lobby-20250101-120000.txt` in the data dir; the title reduced to a safe file stem. */
export function defaultExportPath(dataDir: string, title: string, now = new Date()): string {
  const stem = title.replace(/^[#@]/, '').normalize('NFKD').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'chat';
  const time = stamp(now.getTime()).replace(/[-:]/g, '').replace(' ', '-');
  return join(dataDir, EXPORTS_DIR, `${stem}-${time}.txt`);
}

/** Writes the file (making its folder) and returns its absolute path. */
export async function writeExport(path: string, text: string): Promise<string> {
  const absolute = resolve(path);
  await mkdir(dirname(absolute), { recursive: true, mode: 0o700 });
  await writeFile(absolute, text, { mode: 0o600 });
  return absolute;
}

/** Local date and time, YYYY-MM-DD HH:MM:SS. */
export function stamp(ts: number): string {
  const d = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
