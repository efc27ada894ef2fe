// docs/protocol.md section 7 lists every error code with its meaning and what it does to the
// connection. This keeps that table and src/protocol/errors.ts one list, in both directions: a
// code added to errors.ts and left out of the document fails here, as does a documented code
// that no longer exists (fix: `npm run docs:errors`).

import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CONNECTION_WORDS, PROTOCOL_DOC, TABLE_END, TABLE_START, withErrorTable } from '../../scripts/docs-errors.ts';
import { ERROR_CODES, ERROR_CONNECTION, type ErrorCode } from '../../src/protocol/errors.ts';

interface DocumentedCode {
  meaning: string;
  connection: string;
}

/** The rows of section 7's table, read as a person reads them: `CODE` | meaning | connection. */
function documentedCodes(): Map<string, DocumentedCode> {
  const doc = readFileSync(PROTOCOL_DOC, 'utf8');
  const section = doc.slice(doc.indexOf('## 7. Error codes'), doc.indexOf('## 8.'));
  const rows = new Map<string, DocumentedCode>();
  for (const line of section.split('\n')) {
    const row = /^\| `([A-Z0-9_]+)` \| (.*) \| ([^|]+) \|$/.exec(line);
    if (row) rows.set(row[1]!, { meaning: row[2]!.replaceAll('\\|', '|'), connection: row[3]! });
  }
  return rows;
}

const FIX = 'run `npm run docs:errors`';

describe('protocol/error-table: docs/protocol.md section 7 against src/protocol/errors.ts', () => {
  const documented = documentedCodes();
  const codes = Object.keys(ERROR_CODES) as ErrorCode[];

  it('documents every code in errors.ts', () => {
    const missing = codes.filter((code) => !documented.has(code));
    expect(missing, `codes missing from docs/protocol.md section 7: ${FIX}`).to.deep.equal([]);
  });

  it('documents no code that errors.ts lacks', () => {
    const unknown = [...documented.keys()].filter((code) => !Object.hasOwn(ERROR_CODES, code));
    expect(unknown, 'documented codes that src/protocol/errors.ts does not have').to.deep.equal([]);
  });

  it("gives each code errors.ts's meaning and what it does to the connection", () => {
    for (const code of codes) {
      const row = documented.get(code);
      if (!row) continue;
      expect(row.meaning, `${code}'s meaning: ${FIX}`).to.equal(ERROR_CODES[code]);
      expect(row.connection, `${code}'s connection: ${FIX}`).to.equal(CONNECTION_WORDS[ERROR_CONNECTION[code]]);
    }
  });

  it('has the table between its markers exactly as `npm run docs:errors` writes it', () => {
    const doc = readFileSync(PROTOCOL_DOC, 'utf8');
    expect(doc).to.include(TABLE_START).and.include(TABLE_END);
    expect(withErrorTable(doc) === doc, FIX).to.equal(true);
  });
});
