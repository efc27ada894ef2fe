import { expect } from 'chai';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { defaultExportPath, formatExport, stamp, writeExport } from '../../src/shared/export.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('ui/export', () => {
  it('writes one line a message with date, time and name, escape sequences made inert', async () => {
    const ts = new Date(2025, 0, 2, 3, 4, 5).getTime();
    const text = formatExport('#lobby', [
      { ts, from: 'bob', text: 'hello' },
      { ts, from: 'eve', text: 'evil\u001b]0;title\u0007\nsecond line' },
    ], new Date(ts));
    expect(text).to.contain('parlor: #lobby\nexported 2025-01-02 03:04:05, 2 messages');
    expect(text).to.contain('[2025-01-02 03:04:05] bob: hello\n');
    expect(text).to.contain('[2025-01-02 03:04:05] eve: evil^[]0;title^G\n    second line');
    expect(text).not.to.match(/[\u0000-\u0009\u000b-\u001f]/);
  });

  it('names the default file after the conversation and the time, under exports/ in the data dir', async () => {
    const now = new Date(2025, 5, 7, 8, 9, 10);
    expect(defaultExportPath('/data', '#lobby', now)).to.equal(join('/data', 'exports', `lobby-20250607-080910.txt`));
    expect(defaultExportPath('/data', '@../../etc', now)).to.equal(join('/data', 'exports', `etc-20250607-080910.txt`));
    const dir = tempDir();
    const path = await writeExport(join(dir, 'deep', 'chat.txt'), 'x\n');
    expect(readFileSync(path, 'utf8')).to.equal('x\n');
    expect(statSync(path).mode & 0o777).to.equal(0o600);
    expect(stamp(now.getTime())).to.equal('2025-06-07 08:09:10');
  });
});
