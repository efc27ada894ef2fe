import { expect } from 'chai';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { numberedName, safeFileName, saveWithoutOverwriting, SAFE_NAME_MAX_BYTES } from '../../../src/client/transfers/safe-file-name.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

describe('client/safe-file-name', () => {
  for (const [offered, safe] of [
    ['../../etc/passwd', '_.._etc_passwd'],
    ['..', 'file'],
    ['.', 'file'],
    ['', 'file'],
    ['\u202Egnp.exe', 'gnp.exe'],
    ['.hidden', 'hidden'],
    ['C:\\Windows\\system32', 'C__Windows_system32'],
    ['bell\u0007\u001b[31mred', 'bell[31mred'],
    ['zero\u200bwidth', 'zerowidth'],
    ['trailing. . ', 'trailing'],
    ['CON.txt', '_CON.txt'],
    ['notes.txt', 'notes.txt'],
    ['été.md', 'été.md'],
  ] as const) {
    it(`makes ${JSON.stringify(offered)} into ${JSON.stringify(safe)}`, () => {
      expect(safeFileName(offered)).to.equal(safe);
    });
  }

  it('caps a long name in bytes of UTF-8, keeping its extension and whole characters', () => {
    expect(safeFileName('a'.repeat(1000))).to.equal('a'.repeat(SAFE_NAME_MAX_BYTES));
    const long = safeFileName(`${'é'.repeat(500)}.jpeg`);
    expect(long.endsWith('.jpeg')).to.equal(true);
    expect(Buffer.byteLength(long)).to.be.at.most(SAFE_NAME_MAX_BYTES);
    expect(long).to.not.include('\ufffd');
  });

  it('never yields a separator, a leading dot, a control or format character, or too many bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (offered) => {
        const safe = safeFileName(offered);
        expect(safe.length).to.be.greaterThan(0);
        expect(safe).to.not.match(/[/\\]/);
        expect(safe).to.not.match(/^\./);
        expect(safe).to.not.match(/[\p{Cc}\p{Cf}\p{Cs}]/u);
        expect(Buffer.byteLength(safe)).to.be.at.most(SAFE_NAME_MAX_BYTES);
      }),
      { numRuns: 2000 },
    );
  });

  it('numbers alternatives before the extension', () => {
    expect(numberedName('photo.jpg', 0)).to.equal('photo.jpg');
    expect(numberedName('photo.jpg', 2)).to.equal('photo (2).jpg');
    expect(numberedName('README', 1)).to.equal('README (1)');
  });

  it('saves under the next free name and never replaces an existing file', async () => {
    const dir = tempDir('safe-save');
    writeFileSync(join(dir, 'a.txt'), 'first');
    writeFileSync(join(dir, 'a (1).txt'), 'second');
    const temp = join(dir, '.parlor-x.part');
    writeFileSync(temp, 'third');
    expect(await saveWithoutOverwriting(temp, dir, 'a.txt')).to.equal(join(dir, 'a (2).txt'));
    expect((await readdir(dir)).sort()).to.deep.equal(['a (1).txt', 'a (2).txt', 'a.txt']);
  });
});
