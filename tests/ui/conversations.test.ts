import { expect } from 'chai';
import type { ChatMessage } from '../../src/protocol/messages.ts';
import { ConversationList, dmKey, mentions, roomKey } from '../../src/ui/conversations.ts';

const message = (id: number, from: string, text: string, where: { room?: string; to?: string }): ChatMessage => ({ type: 'message', id, from, text, ts: 1_700_000_000_000 + id, ...where });

describe('ui/conversations', () => {
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
  });
});
