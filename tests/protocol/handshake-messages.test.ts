import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { ParlorError } from '../../src/protocol/errors.ts';
import {
  decodeClientFinished,
  decodeClientHello,
  decodeHandshakeError,
  decodeServerHello,
  encodeClientFinished,
  encodeClientHello,
  encodeHandshakeError,
  encodeServerHelloBody,
} from '../../src/protocol/handshake-messages.ts';

const hello = {
  version: 1,
  ephemeralKey: randomBytes(32),
  rsaExponent: Buffer.from([1, 0, 1]),
  rsaModulus: Buffer.concat([Buffer.from([0xc3]), randomBytes(255)]),
};

describe('protocol/handshake-messages', () => {
  it('round-trips a ClientHello, whose layout is as docs/protocol.md gives it', () => {
    const bytes = encodeClientHello(hello);
    expect(bytes[0]).to.equal(0x01);
    expect(bytes.subarray(1, 5).toString('ascii')).to.equal('PRLR');
    expect(bytes[5]).to.equal(1);
    expect(bytes.length).to.equal(1 + 4 + 1 + 32 + 1 + 3 + 2 + 256);
    expect(decodeClientHello(bytes)).to.deep.equal(hello);
  });

  it('says UNSUPPORTED_VERSION for another version, before reading the rest', () => {
    const bytes = encodeClientHello({ ...hello, version: 2 }).subarray(0, 6);
    expect(() => decodeClientHello(bytes)).to.throw(ParlorError).with.property('code', 'UNSUPPORTED_VERSION');
  });

  it('refuses every truncation and any trailing byte of a ClientHello', () => {
    const bytes = encodeClientHello(hello);
    for (let length = 0; length < bytes.length; length++) {
      expect(() => decodeClientHello(bytes.subarray(0, length)), `length ${length}`).to.throw(ParlorError);
    }
    expect(() => decodeClientHello(Buffer.concat([bytes, Buffer.from([0])]))).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
  });

  it('refuses bad magic, a short modulus and non-minimal integers', () => {
    const badMagic = encodeClientHello(hello);
    badMagic[1] = 0x58;
    expect(() => decodeClientHello(badMagic)).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
    expect(() => decodeClientHello(encodeClientHello({ ...hello, rsaModulus: randomBytes(128) }))).to.throw(ParlorError);
    const leadingZero = { ...hello, rsaModulus: Buffer.concat([Buffer.from([0]), randomBytes(255)]) };
    expect(() => decodeClientHello(encodeClientHello(leadingZero))).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
  });

  it('round-trips a ServerHello and returns the signed body', () => {
    const fields = { version: 1, identityKey: randomBytes(32), ephemeralKey: randomBytes(32), wrappedSecret: randomBytes(256), serverName: 'Büro' };
    const body = encodeServerHelloBody(fields);
    const signature = randomBytes(64);
    const { hello: decoded, body: decodedBody } = decodeServerHello(Buffer.concat([body, signature]));
    expect(decoded).to.deep.equal({ ...fields, signature });
    expect(decodedBody).to.deep.equal(body);
  });

  it('refuses a server name that is not UTF-8', () => {
    const body = encodeServerHelloBody({ version: 1, identityKey: randomBytes(32), ephemeralKey: randomBytes(32), wrappedSecret: randomBytes(256), serverName: 'ab' });
    body[body.length - 1] = 0xff;
    expect(() => decodeServerHello(Buffer.concat([body, randomBytes(64)]))).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
  });

  it('round-trips ClientFinished and handshake errors', () => {
    const mac = randomBytes(32);
    expect(decodeClientFinished(encodeClientFinished(mac))).to.deep.equal(mac);
    expect(() => decodeClientFinished(encodeClientFinished(randomBytes(31)))).to.throw(ParlorError);
    const error = { code: 'UNSUPPORTED_VERSION' as const, message: 'no', supportedVersions: [1] };
    expect(decodeHandshakeError(encodeHandshakeError(error))).to.deep.equal(error);
    expect(() => decodeHandshakeError(Buffer.from([0x7f, 0x7b]))).to.throw(ParlorError).with.property('code', 'BAD_HANDSHAKE');
    expect(decodeHandshakeError(Buffer.concat([Buffer.from([0x7f]), Buffer.from('{"code":"EVIL","message":1}')]))).to.deep.equal({ code: 'BAD_HANDSHAKE', message: 'handshake refused' });
  });
});
