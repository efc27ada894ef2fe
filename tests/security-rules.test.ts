// Rules from the security design that a reader could break without any test noticing: checked on
// the source itself, so a future change that reaches for them fails here with the reason.

import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const RULES: Array<[RegExp, string]> = [
  [/Math\.random/, 'Math.random is not a source of randomness for anything near keys: use node:crypto'],
  [/RSA_PKCS1_PADDING|pkcs1_v1_5|RSA_NO_PADDING/i, 'PKCS#1 v1.5 and unpadded RSA are broken: RSA is only ever used with OAEP-SHA256'],
  [/\bcreateCipher\(|\bcreateDecipher\(/, 'createCipher derives keys and IVs badly: use createCipheriv with the sealed channel'],
  [/createCipheriv\([^)]*Buffer\.alloc\(\s*(12|16)\s*\)/, 'a fixed all-zero IV reuses nonces: the nonce is the frame counter'],
  [/oaepHash:\s*'sha1'/, 'OAEP with SHA-1: the protocol says SHA-256'],
];

describe('security rules in the source', () => {
  const files = sources(SRC);

  it('has sources to check', () => {
    expect(files.length).to.be.greaterThan(10);
  });

  for (const [pattern, reason] of RULES) {
    it(`never: ${reason}`, () => {
      const offenders = files.filter((file) => pattern.test(readFileSync(file, 'utf8'))).map((file) => relative(SRC, file));
      expect(offenders, reason).to.deep.equal([]);
    });
  }
});
