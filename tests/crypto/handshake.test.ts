import { expect } from 'chai';
import fc from 'fast-check';
import { ClientHandshake, type PresentedServer } from '../../src/crypto/client-handshake.ts';
import { generateServerIdentity } from '../../src/crypto/identity.ts';
import { generateX25519 } from '../../src/crypto/raw-keys.ts';
import { ServerHandshake } from '../../src/crypto/server-handshake.ts';
import { ParlorError } from '../../src/protocol/errors.ts';
import { sharedIdentities } from '../helpers/identities.ts';

const trustAll = () => {};

function expectCode(fn: () => unknown, code: string) {
  expect(fn).to.throw(ParlorError).with.property('code', code);
}

describe('crypto/handshake', () => {
  const serverIdentity = generateServerIdentity();

  it('agrees on one key per direction, and the server learns the client key it proved', async () => {
    const [identity] = await sharedIdentities();
    let presented: PresentedServer | undefined;
    const client = new ClientHandshake(identity!, (server) => (presented = server));
    const server = new ServerHandshake(serverIdentity, 'lan party');
    const serverHello = server.receive(client.start());
    if (!('reply' in serverHello)) throw new Error('expected a ServerHello');
    const { reply: finished, result: clientResult } = client.receive(serverHello.reply);
    const outcome = server.receive(finished);
    if (!('result' in outcome)) throw new Error('expected the handshake to finish');
    expect(outcome.result.keys.clientToServer).to.deep.equal(clientResult.keys.clientToServer);
    expect(outcome.result.keys.serverToClient).to.deep.equal(clientResult.keys.serverToClient);
    expect(clientResult.keys.clientToServer).not.to.deep.equal(clientResult.keys.serverToClient);
    expect(outcome.result.client.fingerprint).to.equal(identity!.fingerprint);
    expect(presented).to.deep.equal({ fingerprint: serverIdentity.fingerprint, name: 'lan party' });
  });

  it('derives fresh keys for every handshake (ephemeral X25519 and a new secret each time)', async () => {
    const [identity] = await sharedIdentities();
    const keys = [0, 1].map(() => {
      const client = new ClientHandshake(identity!, trustAll);
      const server = new ServerHandshake(serverIdentity, 's');
      const hello = server.receive(client.start());
      if (!('reply' in hello)) throw new Error('expected a ServerHello');
      return client.receive(hello.reply).result.keys.clientToServer.toString('hex');
    });
    expect(keys[0]).not.to.equal(keys[1]);
  });

  it("refuses a man in the middle who swaps the client's X25519 key (BAD_SIGNATURE)", async () => {
    const [identity] = await sharedIdentities();
    const client = new ClientHandshake(identity!, trustAll);
    const hello = client.start();
    const tampered = Buffer.from(hello);
    generateX25519().publicRaw.copy(tampered, 6); // the ephemeral key sits after type, magic, version
    const answer = new ServerHandshake(serverIdentity, 's').receive(tampered);
    if (!('reply' in answer)) throw new Error('expected a ServerHello');
    expectCode(() => client.receive(answer.reply), 'BAD_SIGNATURE');
  });

  it("refuses a man in the middle who swaps the server's X25519 key (BAD_SIGNATURE)", async () => {
    const [identity] = await sharedIdentities();
    const client = new ClientHandshake(identity!, trustAll);
    const answer = new ServerHandshake(serverIdentity, 's').receive(client.start());
    if (!('reply' in answer)) throw new Error('expected a ServerHello');
    const tampered = Buffer.from(answer.reply);
    generateX25519().publicRaw.copy(tampered, 2 + 32); // after type, version and the identity key
    expectCode(() => client.receive(tampered), 'BAD_SIGNATURE');
  });

  it("refuses a man in the middle who substitutes its own RSA key to read the secret (BAD_SIGNATURE)", async () => {
    const [identity, attacker] = await sharedIdentities();
    const client = new ClientHandshake(identity!, trustAll);
    const forwarded = new ClientHandshake(attacker!, trustAll).start();
    const hello = client.start();
    // The attacker keeps the client's X25519 key but puts its own RSA key in.
    const tampered = Buffer.concat([hello.subarray(0, 38), forwarded.subarray(38)]);
    const answer = new ServerHandshake(serverIdentity, 's').receive(tampered);
    if (!('reply' in answer)) throw new Error('expected a ServerHello');
    expectCode(() => client.receive(answer.reply), 'BAD_SIGNATURE');
  });

  it('refuses a server with another identity through the key check, before anything is sent', async () => {
    const [identity] = await sharedIdentities();
    const client = new ClientHandshake(identity!, (server) => {
      if (server.fingerprint !== serverIdentity.fingerprint) throw new ParlorError('FINGERPRINT_MISMATCH');
    });
    const impostor = new ServerHandshake(generateServerIdentity(), 's');
    const answer = impostor.receive(client.start());
    if (!('reply' in answer)) throw new Error('expected a ServerHello');
    expectCode(() => client.receive(answer.reply), 'FINGERPRINT_MISMATCH');
  });

  it("refuses a client that sends someone else's RSA key: it cannot confirm the secret", async () => {
    const [victim, attacker] = await sharedIdentities();
    // The attacker announces the victim's public key but holds only its own private key.
    const pretender = new ClientHandshake({ ...attacker!, exponent: victim!.exponent, modulus: victim!.modulus }, trustAll);
    const server = new ServerHandshake(serverIdentity, 's');
    const answer = server.receive(pretender.start());
    if (!('reply' in answer)) throw new Error('expected a ServerHello');
    expectCode(() => pretender.receive(answer.reply), 'BAD_HANDSHAKE');
    // Guessing the confirmation instead does not work either.
    expectCode(() => server.receive(Buffer.concat([Buffer.from([0x03]), Buffer.alloc(32)])), 'KEY_CONFIRMATION_FAILED');
  });

  it('refuses an unsupported version with UNSUPPORTED_VERSION', async () => {
    const [identity] = await sharedIdentities();
    const client = new ClientHandshake(identity!, trustAll, 9);
    expectCode(() => new ServerHandshake(serverIdentity, 's').receive(client.start()), 'UNSUPPORTED_VERSION');
  });

  it('refuses messages out of place, and a handshake that already failed stays failed', async () => {
    const [identity] = await sharedIdentities();
    const server = new ServerHandshake(serverIdentity, 's');
    expectCode(() => server.receive(Buffer.concat([Buffer.from([0x03]), Buffer.alloc(32)])), 'BAD_HANDSHAKE');
    expectCode(() => server.receive(new ClientHandshake(identity!, trustAll).start()), 'BAD_HANDSHAKE');
  });

  it('meets any mutation of the handshake bytes with a ParlorError, never another throw', async () => {
    const [identity] = await sharedIdentities();
    const hello = new ClientHandshake(identity!, trustAll).start();
    fc.assert(
      fc.property(fc.nat(hello.length - 1), fc.integer({ min: 1, max: 255 }), fc.nat(hello.length), (index, flip, cut) => {
        const mutated = Buffer.from(hello);
        mutated[index]! ^= flip;
        for (const input of [mutated, hello.subarray(0, cut)]) {
          try {
            new ServerHandshake(serverIdentity, 's').receive(input);
          } catch (error) {
            expect(error).to.be.instanceOf(ParlorError);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
