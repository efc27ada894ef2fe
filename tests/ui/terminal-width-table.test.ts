// src/ui/terminal-width-table.ts is generated (scripts/terminal-widths.ts, `npm run gen:widths`)
// from get-east-asian-width and blessed's tables: this fails when it no longer matches them, e.g.
// after either was updated, and names the command that fixes it. The widths themselves are held
// to what terminals do by tests/ui/wide-cells.test.ts.

import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('ui/terminal-width-table', () => {
  it('is what get-east-asian-width and blessed give today (fix: npm run gen:widths)', function () {
    this.timeout(60_000);
    const check = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/terminal-widths.ts', '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(check.status, check.stderr).to.equal(0);
  });
});
