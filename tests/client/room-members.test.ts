// Two people joining a room at once: the joiner's reply and the other's `joined` notice often come
// in one frame, and the notice is handled before the code that awaits the reply runs. The member
// list, and a secret room's keys, must still end up with both (src/client/room-members.ts).

import { expect } from 'chai';
import type { ChatClient } from '../../src/client/chat-client.ts';
import type { OpenedJoin } from '../../src/client/e2e/sealed-chat.ts';
import { RoomMembers } from '../../src/client/room-members.ts';
import { nextMessages, startWorld, type World } from '../helpers/chat-world.ts';

/** Rooms joined at once by two clients: enough that some replies share a frame with the other's notice. */
const ROUNDS = 25;

interface RacedJoin {
  joined: OpenedJoin;
  /** Whether the other's `joined` notice had been handled when the join's own caller ran. */
  noticeCameFirst: boolean;
}

/** `ada` and `bob` join `room` at once; what ada's join gave her caller, and whether bob's notice beat it. */
async function joinTogether(ada: ChatClient, bob: ChatClient, room: string): Promise<RacedJoin> {
  const notices: string[] = [];
  const onJoined = (notice: { room: string; name: string }) => {
    if (notice.room === room) notices.push(notice.name);
  };
  ada.on('joined', onJoined);
  try {
    const [raced] = await Promise.all([
      ada.join(room).then((joined) => ({ joined, noticeCameFirst: notices.includes('bob') })),
      bob.join(room),
    ]);
    return raced;
  } finally {
    ada.off('joined', onJoined);
  }
}

describe('client/room-members', () => {
  let world: World;
  afterEach(async () => world?.stop());

  it('keeps in a join reply the member whose notice came right behind it', async () => {
    // Notices at once (a room's notices may otherwise wait for each other: room-notices.ts), so
    // that the other's notice can come right behind the reply, as it does in a quiet room.
    world = await startWorld({ presenceCoalesceMs: 0 });
    const [ada, bob, carol] = await Promise.all([world.login('ada'), world.login('bob'), world.login('carol')]);
    let raced = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const room = `race${round}`;
      await carol.create(room);
      const { joined, noticeCameFirst } = await joinTogether(ada, bob, room);
      if (noticeCameFirst) {
        raced++;
        expect(joined.members, `round ${round}`).to.include('bob');
      }
      // Whichever way the server ordered them, ada's view holds everyone.
      const listed = await ada.members(room);
      expect(listed.members.map((m) => m.name).sort()).to.deep.equal(['ada', 'bob', 'carol']);
    }
    // The race this is about happened at least once (on loopback it happens in most rounds).
    expect(raced, 'rounds where the notice came first').to.be.greaterThan(0);
  });

  it("seals a secret room's messages to a member who joined at the same moment", async () => {
    world = await startWorld();
    const [ada, bob, carol] = await Promise.all([world.login('ada'), world.login('bob'), world.login('carol')]);
    let raced = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const room = `vault${round}`;
      await carol.create(room, undefined, { secret: true });
      const { noticeCameFirst } = await joinTogether(ada, bob, room);
      if (noticeCameFirst) raced++;
      const got = nextMessages(bob);
      await ada.say(room, `round ${round}`);
      const [message] = await got;
      expect(message?.e2e, JSON.stringify(message)).to.deep.include({ state: 'verified' });
      expect(message!.text).to.equal(`round ${round}`);
    }
    expect(raced, 'rounds where the notice came first').to.be.greaterThan(0);
  });

  it('applies joins and leaves after a list, keeps last-message times, and forgets a room left', () => {
    const members = new RoomMembers();
    members.joined('lobby', 'ghost');
    expect(members.list('lobby'), 'no list before a reply').to.equal(undefined);
    members.set('Lobby', [{ name: 'ada', lastMessageAt: 5 }, { name: 'bob', lastMessageAt: null }]);
    members.joined('lobby', 'Carol');
    members.joined('LOBBY', 'carol');
    members.left('lobby', 'BOB');
    expect(members.list('lobby')).to.deep.equal([{ name: 'ada', lastMessageAt: 5 }, { name: 'Carol', lastMessageAt: null }]);
    // A join reply names members only: the times already known stay.
    members.set('lobby', ['ada', 'dan']);
    expect(members.list('lobby')).to.deep.equal([{ name: 'ada', lastMessageAt: 5 }, { name: 'dan', lastMessageAt: null }]);
    members.forget('lobby');
    expect(members.list('lobby')).to.equal(undefined);
  });
});
