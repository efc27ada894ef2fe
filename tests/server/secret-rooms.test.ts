// A secret room is end-to-end AND unlisted (issue 16): only its members see it in `rooms`, and
// `users` and `members` reveal who is in it to its members alone. To anyone else it answers
// exactly as a room that does not exist, so no request can serve as an oracle.

import { expect } from 'chai';
import { expectCode, startWorld, type World } from '../helpers/chat-world.ts';

describe('server/secret rooms are unlisted', () => {
  let world: World;
  afterEach(async () => world?.stop());

  it("only members see a secret room in rooms and users; to others members and history answer as for no room at all", async () => {
    world = await startWorld();
    const ada = await world.login('ada');
    const cy = await world.login('cy');
    const bob = await world.login('bob');
    await ada.create('hush', undefined, { secret: true });
    await ada.create('open');
    await cy.join('hush');
    await bob.join('lobby');

    const roomNames = async (client: typeof ada) => (await client.listRooms()).rooms.map((room) => room.name).sort();
    expect(await roomNames(bob)).to.deep.equal(['lobby', 'open']);
    expect(await roomNames(cy)).to.deep.equal(['hush', 'lobby', 'open']);
    expect((await cy.listRooms()).rooms.find((room) => room.name === 'hush')).to.deep.equal({ name: 'hush', members: 2, hasPassword: false, secret: true });

    const roomsOf = async (client: typeof ada, name: string) => (await client.users()).users.find((user) => user.name === name)!.rooms.sort();
    expect(await roomsOf(bob, 'ada')).to.deep.equal(['open']);
    expect(await roomsOf(bob, 'cy')).to.deep.equal([]);
    expect(await roomsOf(cy, 'ada')).to.deep.equal(['hush', 'open']);

    // The same code and the same words as for a room that was never made.
    for (const ask of [(room: string) => bob.members(room), (room: string) => bob.history({ room }), (room: string) => bob.request('keys', { room })]) {
      const secret = await expectCode(ask('hush'), 'ROOM_NOT_FOUND');
      const missing = await expectCode(ask('nosuch'), 'ROOM_NOT_FOUND');
      expect(secret.message.replace('hush', 'ROOM')).to.equal(missing.message.replace('nosuch', 'ROOM'));
    }
    // A member is still told to join in a session of theirs that is not in the room.
    const cyToo = await world.login('cy');
    await expectCode(cyToo.members('hush'), 'NOT_IN_ROOM');
    // An open room keeps its usual answer.
    await expectCode(bob.members('open'), 'NOT_IN_ROOM');
  });
});
