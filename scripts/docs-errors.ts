// Writes the table of error codes in docs/protocol.md (section 7) from src/protocol/errors.ts, so
// that a code added there reaches the document with its meaning and what it does to the
// connection. Run `npm run docs:errors` after adding a code; tests/protocol/error-table.test.ts
// fails until the document matches.

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CODES, ERROR_CONNECTION, type ConnectionEffect, type ErrorCode } from '../src/protocol/errors.ts';

export const PROTOCOL_DOC = fileURLToPath(new URL('../docs/protocol.md', import.meta.url));
export const TABLE_START = '<!-- error codes: written by `npm run docs:errors` from src/protocol/errors.ts; edit there -->';
export const TABLE_END = '<!-- end of error codes -->';

/** The words of the table's "connection" column, one per effect. */
export const CONNECTION_WORDS: Record<ConnectionEffect, string> = {
  open: 'stays open',
  closes: 'closes',
  'open-or-closes': 'stays open, or closes (see above)',
  client: "— (a client's verdict)",
  local: '— (never on the wire)',
};

export function errorTable(): string {
  const rows = (Object.keys(ERROR_CODES) as ErrorCode[]).map(
    (code) => `| \`${code}\` | ${ERROR_CODES[code].replaceAll('|', '\\|')} | ${CONNECTION_WORDS[ERROR_CONNECTION[code]]} |`,
  );
  return ['| code | meaning | connection |', '| --- | --- | --- |', ...rows].join('\n');
}

/** The document with its error table rewritten; throws when the markers are missing. */
export function withErrorTable(doc: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`docs/protocol.md lacks the markers ${TABLE_START} … ${TABLE_END}`);
  return `${doc.slice(0, start + TABLE_START.length)}\n\n${errorTable()}\n\n${doc.slice(end)}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const before = readFileSync(PROTOCOL_DOC, 'utf8');
  const after = withErrorTable(before);
  if (after !== before) writeFileSync(PROTOCOL_DOC, after);
  console.log(after === before ? 'docs/protocol.md: the error table was up to date' : 'docs/protocol.md: error table rewritten');
}
