// An open room's joined and left notices may wait a moment to go out together (room-notices.ts,
// --presence-coalesce). Whether one waited or went at once, what each member reads is the same:
// every notice once, in order, before the messages and replies that came after it, and none from
// before its own join. These hold either way, so nothing here depends on how fast the test runs.

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { settle, startWorld, type World } from '../helpers/chat-world.ts';

/** What a client reads from now on, in order: "joined ada", "left ada", "erin: hi". */
function timeline(client: ChatClient): string[] {
  const seen: string[] = [];
  client.on('joined', (event) => seen.push(`joined ${event.name}`));
  client.on('left', (event) => seen.push(`left ${event.name}`));
  client.on('message', (message) => seen.push(`${message.from}: ${message.text}`));
  return seen;
}

describe('server/room-notices: joined and left notices that go out together', () => {
  let world: World;
  afterEach(async () => world?.stop());

  it('each member gets every notice once and in order, before later replies and messages; a newcomer none from before its join', async () => {
    // A long window, so that the notices after the first wait (when the test runs at its usual pace).
    world = await startWorld({ presenceCoalesceMs: 2000 });
    const bob = await world.login('bob');
    await bob.join('lobby');
    const atBob = timeline(bob);

    const ada = await world.login('ada');
    await ada.join('lobby');
    const carl = await world.login('carl');
    await carl.join('lobby');
    const atCarl = timeline(carl);
    const dave = await world.login('dave');
    const daveJoined = await dave.join('lobby');
    const atDave = timeline(dave);
    // The join reply says who is in: carl's notice, perhaps still waiting, is not for dave.
    expect(daveJoined.members).to.deep.equal(['bob', 'ada', 'carl', 'dave']);

    await ada.leave('lobby');
    const erin = await world.login('erin');
    await erin.join('lobby');
    const atErin = timeline(erin);
    // Her message reaches the room after the room was told that she joined.
    await erin.say('lobby', 'hi');
    // A reply (here ping's) comes after everything the room was told before the request.
    for (const client of [bob, carl, dave, erin]) await settle(client);

    expect(atBob).to.deep.equal(['joined ada', 'joined carl', 'joined dave', 'left ada', 'joined erin', 'erin: hi']);
    expect(atCarl).to.deep.equal(['joined dave', 'left ada', 'joined erin', 'erin: hi']);
    expect(atDave).to.deep.equal(['left ada', 'joined erin', 'erin: hi']);
    expect(atErin).to.deep.equal([]);
    for (const client of [bob, carl, dave, erin]) {
      expect((await client.members('lobby')).members.map((m) => m.name)).to.deep.equal(['bob', 'carl', 'dave', 'erin']);
    }
  });

  it('a members reply lists the room after the notices that were waiting: the list and the notices agree', async () => {
    world = await startWorld({ presenceCoalesceMs: 2000 });
    const bob = await world.login('bob');
    await bob.join('lobby');
    const atBob = timeline(bob);
    const people = [];
    for (const name of ['ada', 'carl', 'dave']) {
      const client = await world.login(name);
      await client.join('lobby');
      people.push(client);
    }
    await people[0]!.leave('lobby');
    const listed = await bob.members('lobby');
    expect(listed.members.map((m) => m.name)).to.deep.equal(['bob', 'carl', 'dave']);
    expect(atBob).to.deep.equal(['joined ada', 'joined carl', 'joined dave', 'left ada']);
  });

  it('at shutdown nobody is told that the others, let go one by one, left', async () => {
    // No window: a departure would go at once, as one after a quiet spell does.
    world = await startWorld({ presenceCoalesceMs: 0 });
    const people = [];
    for (const name of ['ada', 'bob', 'carl']) {
      const client = await world.login(name);
      await client.join('lobby');
      people.push(client);
    }
    for (const client of people) await settle(client);
    const seen = people.map((client) => timeline(client));
    const closed = people.map((client) => new Promise<string>((resolve) => client.once('closed', ({ reason }) => resolve(reason.code))));
    await world.server.stop();
    expect(await Promise.all(closed)).to.deep.equal(['SERVER_SHUTDOWN', 'SERVER_SHUTDOWN', 'SERVER_SHUTDOWN']);
    expect(seen).to.deep.equal([[], [], []]);
  });
});
