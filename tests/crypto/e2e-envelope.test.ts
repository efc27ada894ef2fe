import { expect } from 'chai';
import {
  decodeEnvelope,
  ENVELOPE_VERSION,
  fingerprintDigest,
  openEnvelope,
  sealEnvelope,
  unwrapContentKey,
  verifyEnvelope,
  type RecipientKey,
} from '../../src/crypto/e2e-envelope.ts';
import type { ClientIdentity } from '../../src/crypto/identity.ts';
import { importRsaPublic } from '../../src/crypto/raw-keys.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { sharedIdentities } from '../helpers/identities.ts';

function expectCode(fn: () => unknown, code: string) {
  expect(fn).to.throw(ParlorError).with.property('code', code);
}

const recipient = (identity: ClientIdentity): RecipientKey => ({ fingerprint: identity.fingerprint, key: identity.publicKey });

describe('crypto/e2e-envelope', () => {
  let ada: ClientIdentity, bob: ClientIdentity, eve: ClientIdentity;
  before(async () => {
    const shared = await sharedIdentities();
    [ada, bob, eve] = [shared[0]!, shared[1]!, shared[2]!];
  });

  const seal = (plaintext = 'meet at noon') =>
    sealEnvelope({ identity: ada, scope: 'room', target: 'ops', sender: 'ada', plaintext: Buffer.from(plaintext), recipients: [recipient(bob)] });

  it('opens for each recipient and for the sender, and says who signed it', () => {
    const envelope = decodeEnvelope(seal());
    expect(envelope).to.include({ kind: 'message', scope: 'room', target: 'ops', sender: 'ada', senderFingerprint: ada.fingerprint });
    verifyEnvelope(envelope, importRsaPublic(envelope.senderKey));
    expect(openEnvelope(envelope, bob)!.toString()).to.equal('meet at noon');
    expect(openEnvelope(envelope, ada)!.toString()).to.equal('meet at noon');
    expect(envelope.wrappedKeys.map((w) => w.digest.toString('hex')).sort()).to.deep.equal(
      [ada, bob].map((i) => fingerprintDigest(i.fingerprint).toString('hex')).sort(),
    );
  });

  it('is not readable by someone it was not sealed to (undefined, not an error)', () => {
    expect(openEnvelope(decodeEnvelope(seal()), eve)).to.equal(undefined);
  });

  it('does not carry the plaintext, and a fresh id, IV and key each time', () => {
    const one = seal('a unique marker 7f3a');
    const two = seal('a unique marker 7f3a');
    expect(one.includes(Buffer.from('unique marker'))).to.equal(false);
    expect(decodeEnvelope(one).messageId.equals(decodeEnvelope(two).messageId)).to.equal(false);
    expect(decodeEnvelope(one).iv.equals(decodeEnvelope(two).iv)).to.equal(false);
  });

  it('fails the signature when any signed byte is altered, and decryption when a wrapped key is', () => {
    const bytes = seal();
    const envelope = decodeEnvelope(bytes);
    const signedLength = envelope.signed.length;
    // Every signed field: the id, the target, the sender, the key, the IV and the ciphertext.
    for (const offset of [6, 24, 28, 40, signedLength - envelope.ciphertext.length - 5, signedLength - 1]) {
      const altered = Buffer.from(bytes);
      altered[offset]! ^= 0x01;
      let decoded;
      try {
        decoded = decodeEnvelope(altered);
      } catch (error) {
        expect(error).to.be.instanceOf(ParlorError).with.property('code', 'E2E_MALFORMED');
        continue;
      }
      // A changed key byte makes another key: the signature still has to verify under it.
      expectCode(() => verifyEnvelope(decoded, importRsaPublic(decoded.senderKey)), 'E2E_BAD_SIGNATURE');
    }
    const wrapped = Buffer.from(bytes);
    wrapped[signedLength + 2 + 32 + 2 + 10]! ^= 0x01;
    const decoded = decodeEnvelope(wrapped);
    verifyEnvelope(decoded, importRsaPublic(decoded.senderKey));
    const firstIsAda = decoded.wrappedKeys[0]!.digest.equals(fingerprintDigest(ada.fingerprint));
    expectCode(() => openEnvelope(decoded, firstIsAda ? ada : bob), 'E2E_DECRYPT_FAILED');
  });

  it('cannot be re-signed as someone else: swapping in another key fails the signature', () => {
    const bytes = seal();
    const envelope = decodeEnvelope(bytes);
    expectCode(() => verifyEnvelope(envelope, eve.publicKey), 'E2E_BAD_SIGNATURE');
  });

  it('carries a given content key (a file transfer\'s) to each recipient, under kind "file"', () => {
    const transferKey = Buffer.alloc(32, 7);
    const bytes = sealEnvelope({
      identity: ada,
      kind: 'file',
      scope: 'direct',
      target: 'bob',
      sender: 'ada',
      plaintext: Buffer.from(JSON.stringify({ name: 'cat.png', size: 1234 })),
      recipients: [recipient(bob)],
      contentKey: transferKey,
    });
    const envelope = decodeEnvelope(bytes);
    expect(envelope.kind).to.equal('file');
    verifyEnvelope(envelope, importRsaPublic(envelope.senderKey));
    expect(unwrapContentKey(envelope.wrappedKeys, bob)).to.deep.equal(transferKey);
    expect(JSON.parse(openEnvelope(envelope, bob)!.toString())).to.deep.equal({ name: 'cat.png', size: 1234 });
  });

  it('refuses bytes out of shape with E2E_MALFORMED', () => {
    const bytes = seal();
    expectCode(() => decodeEnvelope(bytes.subarray(0, bytes.length - 1)), 'E2E_MALFORMED');
    expectCode(() => decodeEnvelope(Buffer.concat([bytes, Buffer.from([0])])), 'E2E_MALFORMED');
    const version = Buffer.from(bytes);
    version[4] = ENVELOPE_VERSION + 1;
    expectCode(() => decodeEnvelope(version), 'E2E_MALFORMED');
    expectCode(() => decodeEnvelope(Buffer.from('PE2E')), 'E2E_MALFORMED');
  });

  it("refuses a sender key not encoded as a ClientHello's: a padded exponent, a padded modulus", () => {
    const bytes = seal();
    const targetLength = bytes[23]!;
    const exponentAt = 25 + targetLength + bytes[24 + targetLength]!;
    const modulusAt = exponentAt + 1 + bytes[exponentAt]!;
    // The same integers with a leading zero byte: the same key, but not minimal.
    const paddedExponent = Buffer.concat([bytes.subarray(0, exponentAt), Buffer.from([bytes[exponentAt]! + 1, 0]), bytes.subarray(exponentAt + 1)]);
    expectCode(() => decodeEnvelope(paddedExponent), 'E2E_MALFORMED');
    const modulusLength = bytes.readUInt16BE(modulusAt);
    const lengthBytes = Buffer.alloc(2);
    lengthBytes.writeUInt16BE(modulusLength + 1);
    const paddedModulus = Buffer.concat([bytes.subarray(0, modulusAt), lengthBytes, Buffer.from([0]), bytes.subarray(modulusAt + 2)]);
    expectCode(() => decodeEnvelope(paddedModulus), 'E2E_MALFORMED');
  });
});
