// Raw key bytes out of KeyObjects: X25519 and Ed25519 public keys against the RFCs' vectors, RSA
// public integers that round-trip through an import, and the reason exports avoid JWK: under
// garbage-collector pressure a JWK export in Node 20 can deadlock the process (raw-keys.ts).

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { constants, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { exportOkpRaw, exportRsaParts, generateX25519, importRsaPublic, importX25519Public } from '../../src/crypto/raw-keys.ts';

const RAW_KEYS_MODULE = fileURLToPath(new URL('../../src/crypto/raw-keys.ts', import.meta.url));

/** PKCS#8 DER of an RFC 8410 private key: a fixed header, then the 32-byte private key. */
function okpPrivateKey(oid: 'x25519' | 'ed25519', raw: string) {
  const header = oid === 'x25519' ? '302e020100300506032b656e04220420' : '302e020100300506032b657004220420';
  return createPrivateKey({ key: Buffer.from(header + raw, 'hex'), format: 'der', type: 'pkcs8' });
}

describe('crypto/raw-keys', () => {
  it('exports an X25519 public key as its 32 raw bytes (RFC 7748 §6.1, Alice)', () => {
    const key = okpPrivateKey('x25519', '77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    expect(exportOkpRaw(createPublicKey(key)).toString('hex')).to.equal('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
  });

  it('exports an Ed25519 public key as its 32 raw bytes (RFC 8032 §7.1, test 1)', () => {
    const key = okpPrivateKey('ed25519', '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
    expect(exportOkpRaw(createPublicKey(key)).toString('hex')).to.equal('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
  });

  it('exports an RSA public key as exponent and modulus without sign bytes, which import back to the same key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const { exponent, modulus } = exportRsaParts(publicKey);
    expect(exponent.toString('hex')).to.equal('010001');
    expect(modulus).to.have.length(256);
    expect(modulus[0]).to.be.above(0x7f);
    const secret = randomBytes(32);
    const wrapped = publicEncrypt({ key: importRsaPublic({ exponent, modulus }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, secret);
    expect(privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, wrapped)).to.deep.equal(secret);
  });

  it('makes X25519 pairs whose raw public key is the private key\'s, fresh each time, that agree with each other', () => {
    const ada = generateX25519();
    const bob = generateX25519();
    expect(ada.publicRaw).to.have.length(32);
    expect(ada.publicRaw).to.deep.equal(exportOkpRaw(createPublicKey(ada.privateKey)));
    expect(ada.publicRaw).not.to.deep.equal(bob.publicRaw);
    const adaShared = diffieHellman({ privateKey: ada.privateKey, publicKey: importX25519Public(bob.publicRaw) });
    const bobShared = diffieHellman({ privateKey: bob.privateKey, publicKey: importX25519Public(ada.publicRaw) });
    expect(adaShared).to.deep.equal(bobShared);
  });

  it('refuses a key of another kind', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => exportOkpRaw(publicKey)).to.throw(/not an X25519 or Ed25519/);
    expect(() => exportRsaParts(publicKey)).to.throw();
  });

  it('makes 60,000 ephemeral keys under constant garbage collection without hanging (a JWK export deadlocks here)', async function () {
    this.timeout(120_000);
    // A 1 MiB young generation makes a scavenge land inside an export sooner or later; when these
    // keys came from generateKeyPairSync and were exported as JWK, this child hung for good within
    // 2,000 to 14,000 keys, with no error.
    const script = `
      import { createPublicKey, diffieHellman } from 'node:crypto';
      import { generateX25519 } from ${JSON.stringify(RAW_KEYS_MODULE)};
      const peer = createPublicKey(generateX25519().privateKey);
      let kept = [];
      for (let i = 0; i < 60000; i++) {
        const pair = generateX25519();
        kept.push(diffieHellman({ privateKey: pair.privateKey, publicKey: peer }), pair.publicRaw);
        if (kept.length > 100) kept = [];
      }
      process.stdout.write('done');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--max-semi-space-size=1', '--min-semi-space-size=1', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    // A hang is the failure to catch: bounded, and the child killed whatever happens.
    const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
      expect(output, 'the child hung (killed after 60 s) or failed').to.equal('done');
      expect(code).to.equal(0);
    } finally {
      clearTimeout(limit);
      child.kill('SIGKILL');
    }
  });
});
