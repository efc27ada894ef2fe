// The server's cache of clients' imported RSA keys: a reconnecting client's key comes from it, and
// it never lets through what importRsaPublic refuses (the exponent is the hello's own each time).

import { expect } from 'chai';
import { constants, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { importClientKey } from '../../src/crypto/client-key-cache.ts';
import { rsaFingerprint } from '../../src/crypto/fingerprint.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { sharedIdentities } from '../helpers/identities.ts';

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

describe('crypto/client-key-cache', () => {
  it('gives a reconnecting client the same key and fingerprint, which wrap for its private key', async () => {
    const [ada, bob] = await sharedIdentities();
    const first = importClientKey({ exponent: ada!.exponent, modulus: ada!.modulus });
    const again = importClientKey({ exponent: Buffer.from(ada!.exponent), modulus: Buffer.from(ada!.modulus) });
    expect(again.key).to.equal(first.key);
    expect(first.fingerprint).to.equal(ada!.fingerprint).and.to.equal(rsaFingerprint(ada!.exponent, ada!.modulus));
    const secret = randomBytes(32);
    expect(privateDecrypt({ key: ada!.privateKey, ...OAEP }, publicEncrypt({ key: again.key, ...OAEP }, secret))).to.deep.equal(secret);
    const other = importClientKey({ exponent: bob!.exponent, modulus: bob!.modulus });
    expect(other.key).not.to.equal(first.key);
    expect(other.fingerprint).to.equal(bob!.fingerprint);
  });

  it('keeps its own copy of the key, which a session can hold without pinning the hello it came in', async () => {
    const [, , carol] = await sharedIdentities();
    // A hello as the server decodes it: both integers are views into one network buffer.
    const payload = Buffer.concat([carol!.exponent, carol!.modulus]);
    const exponent = payload.subarray(0, carol!.exponent.length);
    const modulus = payload.subarray(carol!.exponent.length);
    const imported = importClientKey({ exponent, modulus });
    expect(imported.exponent).to.deep.equal(carol!.exponent);
    expect(imported.modulus).to.deep.equal(carol!.modulus);
    expect(imported.modulus.buffer).not.to.equal(payload.buffer);
    payload.fill(0);
    expect(imported.modulus).to.deep.equal(carol!.modulus);
    // A reconnect shares the copy the first handshake made.
    expect(importClientKey({ exponent: carol!.exponent, modulus: carol!.modulus }).modulus).to.equal(imported.modulus);
  });

  it('refuses an exponent other than 65537 even for a modulus it holds', async () => {
    const [ada] = await sharedIdentities();
    importClientKey({ exponent: ada!.exponent, modulus: ada!.modulus });
    expect(() => importClientKey({ exponent: Buffer.from([3]), modulus: ada!.modulus }))
      .to.throw(ParlorError, /65537/).with.property('code', 'BAD_HANDSHAKE');
  });

  it('refuses an even modulus', async () => {
    const [ada] = await sharedIdentities();
    const even = Buffer.from(ada!.modulus);
    even[even.length - 1]! &= 0xfe;
    expect(() => importClientKey({ exponent: ada!.exponent, modulus: even })).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
  });
});
