// After a server restart the people of a room come back one by one, and each member is told of
// each: ChatClient marks those joined notices `returning` (returning-members.ts), so that the UIs
// can show the room filling up again instead of a "joined" line per person. Someone new, and a
// leave and join afterwards, are joins as ever. A real server, restarted on its port.

import { expect } from 'chai';
import type { JoinedNotice } from '../../src/client/chat-client-types.ts';
import { ReturningMembers } from '../../src/client/returning-members.ts';
import { RoomMembers } from '../../src/client/room-members.ts';
import { connectChat, JOIN_PASSWORD, nextEvent, startServerOnPort, waitUntil } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('client/returning-members: who comes back after a restart, and who simply joins', function () {
  this.timeout(30_000);

  it('marks the joined notices of people who were in the room before the restart as returning, and no one else', async () => {
    const [adaId, bobId, carlId] = await sharedIdentities();
    const args = ['--data', tempDir('returning'), '--password', JOIN_PASSWORD];
    const first = await startServerProcess(args);
    // ada comes back at once; bob a second later, so that ada is told of him.
    const ada = await connectChat(first, adaId!, 'ada', { reconnect: true, reconnectDelayMs: 100, maxReconnectDelayMs: 200 });
    const bob = await connectChat(first, bobId!, 'bob', { reconnect: true, reconnectDelayMs: 1500, maxReconnectDelayMs: 1500 });
    let second: Awaited<ReturnType<typeof startServerOnPort>> | undefined;
    try {
      await ada.join('lobby');
      await bob.join('lobby');
      // ada knows that bob is in (a members reply comes after any notice still waiting for her).
      expect((await ada.members('lobby')).members.map((m) => m.name)).to.deep.equal(['ada', 'bob']);
      const joins: JoinedNotice[] = [];
      ada.on('joined', (notice) => joins.push(notice));
      const adaBack = nextEvent(ada, 'reconnected', 20_000);
      const bobBack = nextEvent(bob, 'reconnected', 20_000);
      await first.stop('SIGTERM');
      second = await startServerOnPort(args, first.port);
      await Promise.all([adaBack, bobBack]);
      await waitUntil(() => joins.some((notice) => notice.name === 'bob'), 'ada to be told that bob is back', 10_000, () => JSON.stringify(joins));
      expect(joins.map(({ name, room, returning }) => ({ name, room, returning }))).to.deep.equal([{ name: 'bob', room: 'lobby', returning: true }]);

      // Someone new, then bob leaving and joining again: joins, each told as ever.
      const carl = await connectChat(second, carlId!, 'carl');
      await carl.join('lobby');
      await bob.leave('lobby');
      await bob.join('lobby');
      await waitUntil(() => joins.length === 3, 'ada to be told of carl and of bob again', 10_000, () => JSON.stringify(joins));
      expect(joins.slice(1).map(({ name, returning }) => ({ name, returning }))).to.deep.equal([
        { name: 'carl', returning: false },
        { name: 'bob', returning: false },
      ]);
      carl.close();
    } finally {
      ada.close();
      bob.close();
      await second?.stop();
      await first.stop();
    }
  });

  it('counts someone as returning only within the window after the reconnect, and only once', () => {
    const returning = new ReturningMembers(60_000);
    const members = new RoomMembers();
    members.set('Lobby', ['Ada', 'bob']);
    returning.dropped(members.snapshot());
    // The rejoin's reply replaces the room's list: what was noted at the drop stays as it was.
    members.set('lobby', ['carl']);
    // Told while still catching up (before 'reconnected'): back.
    expect(returning.returning('lobby', 'ADA', 1_000)).to.equal(true);
    expect(returning.returning('lobby', 'ada', 1_000), 'once').to.equal(false);
    expect(returning.returning('lobby', 'carl', 1_000), 'not there at the drop').to.equal(false);
    expect(returning.returning('other', 'bob', 1_000), 'another room').to.equal(false);
    returning.reconnected(2_000);
    expect(returning.returning('lobby', 'bob', 62_001), 'after the window').to.equal(false);

    members.set('lobby', ['bob']);
    returning.dropped(members.snapshot());
    returning.forget('lobby');
    expect(returning.returning('lobby', 'bob', 0), 'a room this client left').to.equal(false);
    returning.dropped(members.snapshot());
    expect(returning.returning('lobby', 'bob', 0), 'dropped again while in it').to.equal(true);
  });
});
