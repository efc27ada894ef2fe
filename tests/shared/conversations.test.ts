import { expect } from 'chai';
import type { ChatMessage } from '../../src/protocol/messages.ts';
import { ConversationList, dmKey, roomKey, STATUS_KEY } from '../../src/shared/conversations.ts';
import { membersByName } from '../../src/shared/members.ts';
import { mentions } from '../../src/shared/mentions.ts';

const message = (id: number, from: string, text: string, where: { room?: string; to?: string }): ChatMessage => ({ type: 'message', id, from, text, ts: 1_700_000_000_000 + id, ...where });

describe('shared/conversations', () => {
  it('files room messages by room and direct messages by the other person, each once', () => {
    const list = new ConversationList('alice');
    list.open('room', 'lobby');
    expect(list.addMessage(message(1, 'bob', 'hi', { room: 'Lobby' }))?.conversation.key).to.equal(roomKey('lobby'));
    expect(list.addMessage(message(1, 'bob', 'hi', { room: 'Lobby' }))).to.equal(undefined);
    expect(list.addMessage(message(2, 'bob', 'psst', { to: 'alice' }))?.conversation.key).to.equal(dmKey('bob'));
    expect(list.addMessage(message(3, 'alice', 'yes?', { to: 'Bob' }))?.conversation.key).to.equal(dmKey('bob'));
    expect(list.list().map((c) => c.key)).to.deep.equal(['room:lobby', 'dm:bob']);
    expect(list.get(dmKey('bob'))!.entries).to.have.length(2);
  });

  it('counts unread messages from others off screen, marks mentions and DMs, and clears on select', () => {
    const list = new ConversationList('alice');
    list.open('room', 'lobby');
    list.open('room', 'dev');
    list.addMessage(message(1, 'bob', 'anyone?', { room: 'dev' }));
    list.addMessage(message(2, 'alice', 'me', { room: 'dev' }));
    list.addMessage(message(3, 'bob', 'hey @Alice look', { room: 'dev' }));
    const dev = list.get(roomKey('dev'))!;
    expect(dev.unread).to.equal(2);
    expect(dev.mentioned).to.equal(true);
    list.select(dev.key);
    expect(dev.unread).to.equal(0);
    list.addMessage(message(4, 'bob', 'seen', { room: 'dev' }));
    expect(dev.unread).to.equal(0);
  });

  it('counts what asks to be seen off screen (a notice, a file offer) as unread, a mention when it says so', () => {
    const list = new ConversationList('alice');
    const lobby = list.open('room', 'lobby');
    const dev = list.open('room', 'dev');
    expect(list.notice(dev.key, 'the build broke', 'error')).to.deep.include({ kind: 'notice', text: 'the build broke' });
    expect(list.notice('room:nowhere', 'lost', 'error'), 'no conversation, no entry').to.equal(undefined);
    list.markUnread(dev.key, false);
    expect(dev).to.include({ unread: 1, mentioned: false });
    list.markUnread(dev.key, true);
    list.markUnread(dev.key, false);
    expect(dev).to.include({ unread: 3, mentioned: true });
    list.markUnread(lobby.key, true);
    expect(lobby, 'on screen: seen already').to.include({ unread: 0, mentioned: false });
  });

  it('counts each change of a room\'s members, so the member list (kept until they change) follows', () => {
    const list = new ConversationList('alice');
    const lobby = list.open('room', 'lobby');
    list.setMembers(lobby.key, [{ name: 'bob', lastMessageAt: null }, { name: 'alice', lastMessageAt: null }]);
    const names = (): string[] => membersByName(lobby).map((m) => m.name);
    expect(names()).to.deep.equal(['alice', 'bob']);
    const version = lobby.membersVersion;
    list.memberJoined(lobby.key, 'Carol');
    expect(lobby.membersVersion).to.equal(version + 1);
    expect(names()).to.deep.equal(['alice', 'bob', 'Carol']);
    list.memberJoined(lobby.key, 'carol');
    expect(lobby.membersVersion, 'a second join of the same name changes nothing').to.equal(version + 1);
    list.memberLeft(lobby.key, 'BOB');
    expect(names()).to.deep.equal(['alice', 'Carol']);
    // Speaking changes the member in place, without a new version: the sorted list is the same
    // array, and shows the time.
    const sorted = membersByName(lobby);
    list.addMessage(message(1, 'alice', 'hi', { room: 'lobby' }));
    expect(membersByName(lobby)).to.equal(sorted);
    expect(sorted[0]).to.deep.equal({ name: 'alice', lastMessageAt: 1_700_000_000_001 });
    list.memberLeft(lobby.key, 'nobody');
    expect(lobby.membersVersion, 'nobody left').to.equal(version + 2);
    list.setMembers(lobby.key, [{ name: 'dan', lastMessageAt: null }]);
    expect(names()).to.deep.equal(['dan']);
  });

  it('keeps at most keptEntries per conversation when asked to trim, older messages to be asked for again', () => {
    const list = new ConversationList('alice', 8);
    const lobby = list.open('room', 'lobby');
    const dev = list.open('room', 'dev');
    for (let id = 1; id <= 20; id++) {
      list.addMessage(message(id, 'bob', `lobby ${id}`, { room: 'lobby' }));
      list.addMessage(message(100 + id, 'bob', `dev ${id}`, { room: 'dev' }));
    }
    list.notice(lobby.key, 'carol joined #lobby', 'join');
    expect(lobby.entries).to.have.length(21);
    // The conversation the user reads back in stays whole.
    list.trim(dev.key);
    expect(dev.entries).to.have.length(20);
    // Down to three quarters of 8: the newest 6 entries, the notice among them.
    expect(lobby.entries).to.have.length(6);
    expect(lobby.entries.map((e) => (e.kind === 'message' ? e.message.text : e.kind))).to.deep.equal(['lobby 16', 'lobby 17', 'lobby 18', 'lobby 19', 'lobby 20', 'notice']);
    expect(lobby.more, 'older messages are on the server').to.equal(true);
    expect(list.oldestId(lobby.key)).to.equal(16);
    // A forgotten message comes back from history (PageUp) in its place.
    expect(list.addMessage(message(15, 'bob', 'lobby 15', { room: 'lobby' }), false)).to.not.equal(undefined);
    expect(lobby.entries[0]!.kind === 'message' && lobby.entries[0]!.message.id).to.equal(15);
    // Under the bound, nothing is forgotten.
    list.trim();
    expect(lobby.entries).to.have.length(7);
    expect(dev.entries).to.have.length(6);
    // By default everything is kept (the local terminal UI).
    const all = new ConversationList('alice');
    all.open('room', 'lobby');
    for (let id = 1; id <= 3000; id++) all.addMessage(message(id, 'bob', `m ${id}`, { room: 'lobby' }));
    all.trim();
    expect(all.get(roomKey('lobby'))!.entries).to.have.length(3000);
  });

  it('puts older history before what is shown, in id order', () => {
    const list = new ConversationList('alice');
    list.open('room', 'lobby');
    list.addMessage(message(10, 'bob', 'ten', { room: 'lobby' }));
    list.addMessage(message(5, 'bob', 'five', { room: 'lobby' }), false);
    list.addMessage(message(7, 'bob', 'seven', { room: 'lobby' }), false);
    expect(list.exportLines(roomKey('lobby')).map((l) => l.text)).to.deep.equal(['five', 'seven', 'ten']);
    expect(list.oldestId(roomKey('lobby'))).to.equal(5);
  });

  it('finds the user\'s name as a word of its own only', () => {
    expect(mentions('hi alice!', 'alice')).to.equal(true);
    expect(mentions('@ALICE look', 'alice')).to.equal(true);
    expect(mentions('malice aforethought', 'alice')).to.equal(false);
    expect(mentions('alice_b is here', 'alice')).to.equal(false);
    expect(mentions('a.b?', 'a.b')).to.equal(true);
    expect(mentions('nobody here', 'alice')).to.equal(false);
    // Beyond ASCII, letter case as Unicode folds it.
    expect(mentions('ask ZOË', 'zoë')).to.equal(true);
    expect(mentions('the \u212Aelvin sign', 'kelvin')).to.equal(true);
  });

  it('lists status, rooms, then DMs, and Ctrl-N walks them in that order, wrapping from the last DM to status', () => {
    const list = new ConversationList('alice');
    list.openStatus('vm');
    list.open('room', 'lobby');
    list.addMessage(message(1, 'bob', 'psst', { to: 'alice' }));
    list.open('room', 'dev');
    expect(list.list().map((c) => c.key)).to.deep.equal([STATUS_KEY, 'room:lobby', 'room:dev', 'dm:bob']);
    list.select('room:lobby');
    const walked: string[] = [];
    for (let i = 0; i < 4; i++) {
      list.cycle(1);
      walked.push(list.active!);
    }
    expect(walked).to.deep.equal(['room:dev', 'dm:bob', STATUS_KEY, 'room:lobby']);
    list.cycle(-1);
    expect(list.active).to.equal(STATUS_KEY);
    list.cycle(-1);
    expect(list.active).to.equal('dm:bob');
  });

  it('never closes the status conversation; closing a room selects its neighbour, not status', () => {
    const list = new ConversationList('alice');
    list.openStatus('vm');
    list.open('room', 'lobby');
    list.open('room', 'dev');
    list.close(STATUS_KEY);
    expect(list.get(STATUS_KEY)).to.not.equal(undefined);
    list.select('room:lobby');
    list.close('room:lobby');
    expect(list.active).to.equal('room:dev');
    list.close('room:dev');
    expect(list.active).to.equal(STATUS_KEY);
  });
});
