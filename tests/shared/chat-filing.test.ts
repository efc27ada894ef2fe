import { expect } from 'chai';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { fileJoined, fileJoinReply, fileLeft, fileOlderPage, fileTransfer, heldMessageIds } from '../../src/shared/chat-filing.ts';
import type { TransferLine } from '../../src/shared/transfer-board.ts';
import { ConversationList, roomKey } from '../../src/shared/conversations.ts';
import { membersByName } from '../../src/shared/members.ts';
import { notSealedText } from '../../src/shared/notices.ts';

const message = (id: number, from: string, text: string, more: Partial<DeliveredMessage> = {}): DeliveredMessage => ({ type: 'message', id, from, text, ts: 1_700_000_000_000 + id, room: 'Vault', ...more });
const texts = (list: ConversationList, key: string): string[] => list.get(key)!.entries.map((e) => (e.kind === 'message' ? e.message.text : e.kind === 'notice' ? e.text : e.kind));

describe('shared/chat-filing', () => {
  it('files a join reply: the server\'s spelling, secret before the history (so clear lines are marked), members, more, and names for completion', () => {
    const list = new ConversationList('alice');
    const known = { knownUsers: new Set<string>(), knownRooms: new Set<string>() };
    const reply = { room: 'Vault', members: ['bob', 'alice'], history: [message(2, 'bob', 'sealed', { e2e: { state: 'verified', fingerprint: 'SHA256:b' } }), message(3, 'bob', 'clear')], more: true, hasPassword: false, notSealedToYou: 2 };
    const vault = fileJoinReply(list, known, reply, true);
    expect(vault).to.include({ key: roomKey('vault'), name: 'Vault', secret: true, more: true, unread: 0 });
    expect(texts(list, vault.key)).to.deep.equal(['sealed', 'clear', notSealedText(2)]);
    expect(vault.entries.map((e) => e.kind === 'message' && e.notEndToEnd)).to.deep.equal([false, true, false]);
    expect(membersByName(vault).map((m) => m.name)).to.deep.equal(['alice', 'bob']);
    expect([...known.knownUsers, ...known.knownRooms]).to.deep.equal(['bob', 'alice', 'Vault']);
  });

  it('puts an older page above what is held, its unreadable count at the very top, and stops at an empty page', () => {
    const list = new ConversationList('alice');
    const vault = list.open('room', 'Vault');
    list.addMessage(message(10, 'bob', 'ten'));
    fileOlderPage(list, vault, { messages: [message(4, 'bob', 'four'), message(6, 'bob', 'six')], more: true, notSealedToYou: 1 });
    expect(texts(list, vault.key)).to.deep.equal([notSealedText(1), 'four', 'six', 'ten']);
    expect(vault.more).to.equal(true);
    fileOlderPage(list, vault, { messages: [], more: true, notSealedToYou: 0 });
    expect(vault.more, 'an empty page with more would ask forever').to.equal(false);
  });

  it('files joins and leaves in rooms this user is in, with inert names and the operator\'s words for a removal', () => {
    const list = new ConversationList('alice');
    const known = { knownUsers: new Set<string>(), knownRooms: new Set<string>() };
    const vault = list.open('room', 'Vault');
    expect(fileJoined(list, known, { room: 'elsewhere', name: 'eve' })).to.equal(undefined);
    expect(known.knownUsers.has('eve'), 'a name seen anywhere completes').to.equal(true);
    expect(fileJoined(list, known, { room: 'vault', name: 'bob\u202e' })).to.equal(vault.key);
    expect(fileLeft(list, { room: 'Vault', name: 'carol', reason: 'disconnected', moderation: { action: 'kicked', by: 'ada', reason: 'flooding' } })).to.equal(vault.key);
    expect(texts(list, vault.key)).to.deep.equal(['bob<U+202E> joined #vault', 'carol was kicked by ada: flooding']);
    expect(vault.entries.map((e) => e.kind === 'notice' && e.tone)).to.deep.equal(['join', 'warning']);
    expect([...vault.members.keys()]).to.deep.equal(['bob\u202e']);
    expect(fileLeft(list, { room: 'elsewhere', name: 'eve', reason: 'left' })).to.equal(undefined);
    // Someone back after a restart: a member again, and no line of their own.
    expect(fileJoined(list, known, { room: 'vault', name: 'carol', returning: true })).to.equal(vault.key);
    expect([...vault.members.keys()]).to.deep.equal(['bob\u202e', 'carol']);
    expect(texts(list, vault.key)).to.deep.equal(['bob<U+202E> joined #vault', 'carol was kicked by ada: flooding']);
  });

  it('puts a transfer\'s line in its conversation: a file coming in unread off screen, an offer to answer a mention', () => {
    const list = new ConversationList('alice');
    const lobby = list.open('room', 'lobby');
    const line = (id: number, direction: 'send' | 'receive', state: TransferLine['state']): TransferLine => ({ id, direction, name: 'notes.txt', size: 10, peer: 'bob', state, bytes: 0, rate: 0, etaMs: undefined, outcomes: [], recipients: 1 });
    const sent = fileTransfer(list, { with: 'bob' }, line(1, 'send', 'waiting'), false);
    expect(sent.conversation).to.include({ key: 'dm:bob', unread: 0, mentioned: false });
    expect(sent.conversation.entries).to.deep.equal([sent.entry]);
    fileTransfer(list, { with: 'bob' }, line(2, 'receive', 'running'), false);
    expect(sent.conversation).to.include({ unread: 1, mentioned: false });
    fileTransfer(list, { with: 'bob' }, line(3, 'receive', 'asking'), true);
    expect(sent.conversation).to.include({ unread: 2, mentioned: true });
    fileTransfer(list, { room: 'lobby' }, line(4, 'receive', 'asking'), true);
    expect(lobby, 'on screen').to.include({ unread: 0, mentioned: false });
    expect(lobby.entries).to.have.length(1);
  });

  it('finds the messages held because their sender\'s key changed, by that sender only', () => {
    const list = new ConversationList('alice');
    const vault = list.open('room', 'Vault');
    const held = { e2e: { state: 'rejected' as const, code: 'E2E_PEER_KEY_CHANGED' as const, reason: 'key changed' } };
    list.addMessage(message(1, 'Bob', '', held));
    list.addMessage(message(2, 'carol', '', held));
    list.addMessage(message(3, 'bob', '', { e2e: { state: 'rejected', code: 'E2E_BAD_SIGNATURE', reason: 'x' } }));
    list.addMessage(message(4, 'bob', 'fine'));
    expect(heldMessageIds(vault, 'BOB')).to.deep.equal([1]);
  });
});
