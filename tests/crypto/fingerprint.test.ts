import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519Blob, isFingerprint, opensshPublicKeyLine, rsaBlob } from '../../src/crypto/fingerprint.ts';
import { generateServerIdentity } from '../../src/crypto/identity.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function sshKeygenFingerprint(line: string): string | undefined {
  const file = join(tempDir('fp'), 'key.pub');
  writeFileSync(file, line + '\n');
  try {
    return execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', file], { encoding: 'utf8' }).split(' ')[1];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

describe('crypto/fingerprint', () => {
  it("matches OpenSSH's fingerprint of the same Ed25519 and RSA keys", async function () {
    const server = generateServerIdentity();
    const [client] = await sharedIdentities();
    const edLine = opensshPublicKeyLine(ed25519Blob(server.publicRaw), 'server');
    const expected = sshKeygenFingerprint(edLine);
    if (expected === undefined) skipOrFail(this, 'ssh-keygen is not installed (apt-get install openssh-client)');
    expect(server.fingerprint).to.equal(expected);
    expect(client!.fingerprint).to.equal(sshKeygenFingerprint(opensshPublicKeyLine(rsaBlob(client!.exponent, client!.modulus), 'client')));
  });

  it('looks like OpenSSH: SHA256: and 43 unpadded base64 characters', () => {
    const { fingerprint } = generateServerIdentity();
    expect(isFingerprint(fingerprint), fingerprint).to.equal(true);
    expect(isFingerprint(fingerprint + '=')).to.equal(false);
  });
});
