// A hostile server against end-to-end messages. The server here is the product's own, with its
// SQLite store tampered with behind its back (a second connection to the same database, as an
// operator with the data dir could): it alters an envelope, swaps its sender, stores it again
// (a replay), moves it into another room, and forges one with a key of its own. The receiving
// client reads them through a real connection and must refuse each with its own code. A hostile
// member who relays someone else's envelope live is refused the same way.

import { expect } from 'chai';
import type { ChatClient } from '../../../src/client/chat-client.ts';
import type { DeliveredMessage } from '../../../src/client/e2e/e2e.ts';
import { decodeEnvelope, sealEnvelope } from '../../../src/crypto/e2e-envelope.ts';
import type { ClientIdentity } from '../../../src/crypto/identity.ts';
import type { ChatMessage } from '../../../src/protocol/messages.ts';
import { SqliteStore } from '../../../src/store/sqlite-store.ts';
import { nextMessages, settle, startWorld, type World } from '../../helpers/chat-world.ts';
import { sharedIdentities } from '../../helpers/identities.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

describe('client/e2e against a hostile server', () => {
  let world: World;
  let dataDir: string;
  let ids: ClientIdentity[];
  let tamper: SqliteStore;

  before(async () => (ids = await sharedIdentities()));
  beforeEach(async () => {
    dataDir = tempDir('hostile');
    world = await startWorld({ dataDir });
    tamper = new SqliteStore(dataDir);
  });
  afterEach(async () => {
    tamper.close();
    await world.stop();
  });

  const login = (name: string, identity: ClientIdentity): Promise<ChatClient> => world.login(name, { identity, configDir: tempDir(`hostile-${name}`) });

  /** The raw stored form of the newest message in a room or with a user, envelope and all. */
  async function rawNewest(client: ChatClient, where: { room?: string; with?: string }): Promise<ChatMessage> {
    const raw = await client.request('history', where);
    return raw.messages.at(-1)!;
  }

  const flip = (sealed: string, offsetFromSignedEnd: number): string => {
    const bytes = Buffer.from(sealed, 'base64');
    bytes[decodeEnvelope(bytes).signed.length - offsetFromSignedEnd]! ^= 0x01;
    return bytes.toString('base64');
  };

  const refusedWith = (message: DeliveredMessage | undefined, code: string) => {
    expect(message?.e2e, JSON.stringify(message?.e2e)).to.deep.include({ state: 'rejected', code });
    expect(message!.text).to.equal('');
  };

  it('detects an altered ciphertext (E2E_BAD_SIGNATURE) and a swapped sender (E2E_SENDER_MISMATCH) in direct messages', async () => {
    const ada = await login('ada', ids[0]!);
    const bob = await login('bob', ids[1]!);
    await login('cy', ids[2]!);
    await ada.dm('bob', 'pay cy 10');
    const original = await rawNewest(bob, { with: 'ada' });
    tamper.appendMessages([
      { room: null, to: 'bob', from: 'ada', text: '', ts: Date.now(), sealed: flip(original.sealed!, 1) },
      { room: null, to: 'bob', from: 'cy', text: '', ts: Date.now(), sealed: original.sealed! },
    ]);
    const page = await bob.history({});
    expect(page.messages[0]).to.deep.include({ text: 'pay cy 10' });
    refusedWith(page.messages[1], 'E2E_BAD_SIGNATURE');
    refusedWith(page.messages[2], 'E2E_SENDER_MISMATCH');
  });

  it('detects a replay of a stored message under a new id (E2E_REPLAYED), also after a fresh login', async () => {
    const ada = await login('ada', ids[0]!);
    const bob = await login('bob', ids[1]!);
    await ada.dm('bob', 'transfer approved');
    const original = await rawNewest(bob, { with: 'ada' });
    tamper.appendMessages([{ room: null, to: 'bob', from: 'ada', text: '', ts: Date.now(), sealed: original.sealed! }]);
    const page = await bob.history({ with: 'ada' });
    expect(page.messages.map((m) => m.e2e?.state)).to.deep.equal(['verified', 'rejected']);
    refusedWith(page.messages[1], 'E2E_REPLAYED');
    // The same history read again is not a replay: same message, same id.
    expect((await bob.history({ with: 'ada' })).messages[0]!.e2e?.state).to.equal('verified');
    // A fresh login (nothing remembered) still sees the copy repeat the original's id.
    bob.close();
    const again = await login('bob', ids[1]!);
    expect(again.direct.map((m) => m.e2e?.state === 'rejected' ? m.e2e.code : m.text)).to.deep.equal(['transfer approved', 'E2E_REPLAYED']);
  });

  it('detects a message moved into another room, or a DM moved into a room (E2E_WRONG_CONTEXT)', async () => {
    const ada = await login('ada', ids[0]!);
    const bob = await login('bob', ids[1]!);
    await ada.create('vault', undefined, { secret: true });
    await ada.create('annex', undefined, { secret: true });
    await bob.join('vault');
    await bob.join('annex');
    await ada.say('vault', 'the key is under the mat');
    await ada.dm('bob', 'private word');
    const inVault = await rawNewest(bob, { room: 'vault' });
    const direct = await rawNewest(bob, { with: 'ada' });
    tamper.appendMessages([
      { room: 'annex', to: null, from: 'ada', text: '', ts: Date.now(), sealed: inVault.sealed! },
      { room: 'annex', to: null, from: 'ada', text: '', ts: Date.now(), sealed: direct.sealed! },
    ]);
    const page = await bob.history({ room: 'annex' });
    refusedWith(page.messages[0], 'E2E_WRONG_CONTEXT');
    refusedWith(page.messages[1], 'E2E_WRONG_CONTEXT');
    // And a DM to bob re-addressed to cy.
    const cy = await login('cy', ids[2]!);
    tamper.appendMessages([{ room: null, to: 'cy', from: 'ada', text: '', ts: Date.now(), sealed: direct.sealed! }]);
    refusedWith((await cy.history({ with: 'ada' })).messages[0], 'E2E_WRONG_CONTEXT');
  });

  it("detects a forgery signed with a key other than the sender's (E2E_PEER_KEY_CHANGED, reported loudly)", async () => {
    const ada = await login('ada', ids[0]!);
    const bob = await login('bob', ids[1]!);
    await ada.dm('bob', 'genuine');
    await bob.history({ with: 'ada' }); // bob now knows ada's key
    // The server's own forgery: a well-formed envelope "from ada", signed by a key it holds.
    const forged = sealEnvelope({
      identity: ids[2]!,
      scope: 'direct',
      target: 'bob',
      sender: 'ada',
      plaintext: Buffer.from('send me your password'),
      recipients: [{ fingerprint: ids[1]!.fingerprint, key: ids[1]!.publicKey }],
    });
    tamper.appendMessages([{ room: null, to: 'bob', from: 'ada', text: '', ts: Date.now(), sealed: forged.toString('base64') }]);
    const changes: string[] = [];
    bob.on('peerKeyChanged', (change) => changes.push(`${change.name} ${change.presented}`));
    const page = await bob.history({ with: 'ada' });
    refusedWith(page.messages[1], 'E2E_PEER_KEY_CHANGED');
    expect(changes).to.deep.equal([`ada ${ids[2]!.fingerprint}`]);
  });

  it('refuses, live, an envelope that another member relays as its own (E2E_SENDER_MISMATCH)', async () => {
    const ada = await login('ada', ids[0]!);
    const bob = await login('bob', ids[1]!);
    const mallory = await login('mallory', ids[2]!);
    await ada.create('vault', undefined, { secret: true });
    await bob.join('vault');
    await mallory.join('vault');
    await ada.say('vault', 'for members');
    await settle(bob);
    const envelope = (await rawNewest(mallory, { room: 'vault' })).sealed!;
    const got = nextMessages(bob);
    await mallory.request('e2e_say', { room: 'vault', sealed: envelope });
    const [relayed] = await got;
    expect(relayed!.from).to.equal('mallory');
    refusedWith(relayed, 'E2E_SENDER_MISMATCH');
  });

  it('refuses bytes that are not an envelope (E2E_MALFORMED)', async () => {
    const bob = await login('bob', ids[1]!);
    await login('ada', ids[0]!);
    tamper.appendMessages([{ room: null, to: 'bob', from: 'ada', text: '', ts: Date.now(), sealed: Buffer.from('not an envelope at all').toString('base64') }]);
    refusedWith((await bob.history({ with: 'ada' })).messages[0], 'E2E_MALFORMED');
  });
});
