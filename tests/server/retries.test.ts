// A message sent again with the same nonce (a client retrying after its connection dropped before
// the acknowledgement came) is stored and delivered once, and acknowledged again with the first
// one's id: in the same turn, later, and after a server restart (the nonce is in the store).

import { expect } from 'chai';
import { collect, expectCode, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { connectChat, JOIN_PASSWORD } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NONCE = 'retry-me-0123456789';

describe('server/retries: a message sent again with its nonce', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.stop();
    world = undefined;
  });

  it('is stored and delivered once, and acknowledged with the same id each time', async () => {
    world = await startWorld({ ephemeral: true });
    const ada = await world.login('ada');
    const bob = await world.login('bob');
    await Promise.all([ada.join('lobby'), bob.join('lobby')]);
    const atBob = collect(bob);
    // Twice in one turn, then once more later.
    const [first, second] = await Promise.all([
      ada.request('say', { room: 'lobby', text: 'hello once', nonce: NONCE }),
      ada.request('say', { room: 'lobby', text: 'hello once', nonce: NONCE }),
    ]);
    const third = await ada.request('say', { room: 'lobby', text: 'hello once', nonce: NONCE });
    expect(second.id).to.equal(first.id);
    expect(third).to.deep.equal(first);
    // A direct message, sealed or not, the same way; the nonce is per sender.
    const dm = await ada.request('dm', { to: 'bob', text: 'psst', nonce: NONCE + 'dm' });
    expect((await ada.request('dm', { to: 'bob', text: 'psst', nonce: NONCE + 'dm' })).id).to.equal(dm.id);
    const bobs = await bob.request('say', { room: 'lobby', text: 'hello from bob', nonce: NONCE });
    expect(bobs.id).to.not.equal(first.id);

    await settle(bob);
    expect(atBob.map((m) => m.text)).to.deep.equal(['hello once', 'psst']);
    const history = await bob.history({ room: 'lobby' });
    expect(history.messages.map((m) => m.text)).to.deep.equal(['hello once', 'hello from bob']);
  });

  it('is refused with BAD_REQUEST when the nonce is not 16–32 URL-safe characters', async () => {
    world = await startWorld({ ephemeral: true });
    const ada = await world.login('ada');
    await ada.join('lobby');
    await expectCode(ada.request('say', { room: 'lobby', text: 'x', nonce: 'short' }), 'BAD_REQUEST');
    await expectCode(ada.request('say', { room: 'lobby', text: 'x', nonce: 'has spaces in it, sixteen+' }), 'BAD_REQUEST');
  });

  it('is still recognised after the server restarts (SQLite keeps the nonce)', async () => {
    const [adaId] = await sharedIdentities();
    const args = ['--data', tempDir('retries'), '--password', JOIN_PASSWORD];
    const first = await startServerProcess(args);
    let ada = await connectChat(first, adaId!, 'ada');
    await ada.join('lobby');
    const stored = await ada.request('say', { room: 'lobby', text: 'before the restart', nonce: NONCE });
    ada.close();
    await first.stop('SIGKILL');
    const second = await startServerProcess(args);
    ada = await connectChat(second, adaId!, 'ada');
    await ada.join('lobby');
    expect(await ada.request('say', { room: 'lobby', text: 'before the restart', nonce: NONCE })).to.deep.equal(stored);
    expect((await ada.history({ room: 'lobby' })).messages.map((m) => m.text)).to.deep.equal(['before the restart']);
    ada.close();
    await second.stop('SIGTERM');
  });
});
