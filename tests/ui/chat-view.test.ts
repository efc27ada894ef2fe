import { expect } from 'chai';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { conversationHeader, entryLines, memberListText, noticeLines, peerKeyChangedWarning, roomListText } from '../../src/ui/chat-view.ts';
import { ConversationList, roomKey } from '../../src/shared/conversations.ts';
import { resolveTheme } from '../../src/shared/themes.ts';

const theme = resolveTheme('nord', {});
const sealed = (id: number, from: string, e2e: DeliveredMessage['e2e'], text = ''): DeliveredMessage => ({ type: 'message', id, from, text, ts: 1_700_000_000_000 + id, room: 'vault', e2e });

describe('ui/chat-view', () => {
  it('draws the member list again after each join and leave, and a member\'s new time without one', () => {
    const list = new ConversationList('alice');
    const lobby = list.open('room', 'lobby');
    list.setMembers(lobby.key, [{ name: 'bob', lastMessageAt: null }, { name: 'alice', lastMessageAt: null }]);
    const plain = (text: string): string => text.replace(/\{[^}]*\}/g, '');
    const names = (): string[] => plain(memberListText(lobby, theme, 30)).split('\n').slice(1).map((line) => line.split(' ')[0]!);
    expect(names()).to.deep.equal(['alice', 'bob']);
    list.memberJoined(lobby.key, 'Carol');
    expect(names()).to.deep.equal(['alice', 'bob', 'Carol']);
    list.memberLeft(lobby.key, 'BOB');
    expect(names()).to.deep.equal(['alice', 'Carol']);
    // Speaking changes the member in place; the list shows it (to the minute).
    list.addMessage({ type: 'message', id: 1, from: 'alice', text: 'hi', ts: 1_700_000_000_001, room: 'lobby' });
    expect(plain(memberListText(lobby, theme, 30, 1_700_000_000_000 + 60_000))).to.match(/alice +\d\d:\d\d/);
    list.setMembers(lobby.key, [{ name: 'dan', lastMessageAt: null }]);
    expect(names()).to.deep.equal(['dan']);
  });

  it('shows a message that failed a check as an inert notice with its code, never as an empty line', () => {
    const [line] = entryLines({ kind: 'message', message: sealed(1, 'mal{red-fg}\u001b[2J', { state: 'rejected', code: 'E2E_BAD_SIGNATURE', reason: 'x' }), mention: false }, theme, 'alice');
    expect(line).to.contain('message from mal{open}red-fg{close}^[[2J could not be verified: E2E_BAD_SIGNATURE');
    const held = entryLines({ kind: 'message', message: sealed(2, 'bob', { state: 'rejected', code: 'E2E_PEER_KEY_CHANGED', reason: 'x' }), mention: false }, theme, 'alice').join(' ');
    expect(held).to.contain("message from bob held: bob's key changed").and.contain('/trust bob');
    // Unreadable history is said once, in a notice of its own.
    expect(entryLines({ kind: 'message', message: sealed(3, 'bob', { state: 'not-sealed-to-you', fingerprint: 'SHA256:x' }), mention: false }, theme, 'alice')).to.deep.equal([]);
  });

  it('folds a notice under its own text, cuts words longer than a line, and escapes tags', () => {
    expect(noticeLines('one two three four five', 10)).to.deep.equal(['one two', 'three four', 'five']);
    expect(noticeLines('SHA256:abcdefghijkl', 10)).to.deep.equal(['SHA256:abc', 'defghijkl']);
    expect(noticeLines('key: SHA256:abcdefghijkl', 10)).to.deep.equal(['key: SHA25', '6:abcdefgh', 'ijkl']);
    expect(noticeLines('abcdefghi ' + 'x'.repeat(12), 10)).to.deep.equal(['abcdefghi', 'xxxxxxxxxx', 'xx']);
    for (const text of ['a b c d e f g', 'x'.repeat(33), 'ab  ' + 'y'.repeat(40) + ' z']) {
      const lines = noticeLines(text, 10);
      expect(lines.every((l) => l.length <= 10)).to.equal(true);
      expect(lines.join('').replace(/ /g, '')).to.equal(text.replace(/ /g, ''));
    }
    expect(noticeLines('{bold}\u0007', 40)).to.deep.equal(['{open}bold{close}^G']);
    const warning = entryLines({ kind: 'notice', ts: 0, tone: 'alarm', text: peerKeyChangedWarning({ name: 'bob', trusted: 'SHA256:old', presented: 'SHA256:new' }) }, theme, 'alice', 60);
    expect(warning.every((line) => line.includes('!! '))).to.equal(true);
    expect(warning.join('\n')).to.contain("BOB'S IDENTITY KEY HAS CHANGED").and.contain('SHA256:old').and.contain('SHA256:new').and.contain('/trust bob');
  });

  it('marks secret rooms in the list and the header, and says in a direct conversation that each line tells whether it is end-to-end', () => {
    const list = new ConversationList('alice');
    list.open('room', 'lobby');
    list.open('room', 'vault').secret = true;
    const dm = list.open('dm', 'bob');
    expect(roomListText(list.list(), roomKey('lobby'), theme, 20)).to.contain('#vault secret').and.not.contain('#lobby secret');
    expect(conversationHeader(list.get(roomKey('vault'))!)).to.equal('#vault · secret, end-to-end');
    expect(conversationHeader(list.get(roomKey('lobby'))!)).to.equal('#lobby');
    expect(conversationHeader(dm)).to.equal('@bob · direct');
  });

  it('puts a message opened after /trust in place of the held one, and exports what was readable', () => {
    const list = new ConversationList('alice');
    list.open('room', 'vault');
    list.addMessage(sealed(1, 'bob', { state: 'rejected', code: 'E2E_PEER_KEY_CHANGED', reason: 'x' }), false);
    list.addMessage(sealed(2, 'carol', { state: 'not-sealed-to-you', fingerprint: 'SHA256:c' }), false);
    expect(list.exportLines(roomKey('vault')).map((l) => l.text)).to.deep.equal(['[could not be verified: E2E_PEER_KEY_CHANGED]']);
    expect(list.replaceMessage(roomKey('vault'), sealed(1, 'bob', { state: 'verified', fingerprint: 'SHA256:b' }, 'hi alice'))).to.equal(true);
    const [first] = list.get(roomKey('vault'))!.entries;
    expect(first?.kind === 'message' && first.message.text).to.equal('hi alice');
    expect(first?.kind === 'message' && first.mention).to.equal(true);
    expect(list.replaceMessage(roomKey('vault'), sealed(9, 'bob', undefined, 'x'))).to.equal(false);
  });

  it('wraps a long message under its text, never back to column 0, and keeps the bot\'s bar in column 0 for the bot alone', () => {
    const long = 'word '.repeat(30).trim();
    const lines = entryLines({ kind: 'message', message: { type: 'message', id: 1, from: 'bob', text: long, ts: 0, room: 'lobby' }, mention: false }, theme, 'alice', 50);
    expect(lines.length).to.be.greaterThan(2);
    const plain = lines.map((l) => l.replace(/\{[^}]*\}/g, ''));
    // " HH:MM bob: " is 12 columns: every wrapped line starts there.
    for (const line of plain.slice(1)) expect(line).to.match(/^ {12}word/);
    expect(plain.every((l) => l.length <= 50)).to.equal(true);
    // A user who types the bot's marks gets them drawn after the gutter's space, never in column 0.
    const forged = entryLines({ kind: 'message', message: { type: 'message', id: 2, from: 'mallory', text: '▌ bot ▸ !help\n▌      │ trust me', ts: 0, room: 'lobby' }, mention: false }, theme, 'alice', 50);
    for (const line of forged) expect(line.startsWith(' ')).to.equal(true);
    const bot = entryLines({ kind: 'bot', ts: 0, command: '!echo hi', text: 'x '.repeat(40) }, theme, 'alice', 50);
    expect(bot.length).to.be.greaterThan(2);
    for (const line of bot) expect(line.startsWith(`{${String(theme.bot)}-fg}▌`)).to.equal(true);
    for (const line of bot.slice(1)) expect(line.replace(/\{[^}]*\}/g, '')).to.match(/^▌ {6}│ x/);
  });

  it('draws an announcement in its own colour and mark, and the status conversation first in the list', () => {
    const [line] = entryLines({ kind: 'notice', ts: 0, tone: 'announce', text: 'announcement from ada: pizza' }, theme, 'alice', 60);
    expect(line).to.contain(`{${String(theme.announce)}-fg}»» announcement from ada: pizza`);
    const list = new ConversationList('alice');
    list.openStatus('vm');
    list.open('room', 'lobby');
    expect(roomListText(list.list(), roomKey('lobby'), theme, 14).split('\n').slice(0, 2)).to.deep.equal(['(status)', '{inverse}#lobby{/inverse}']);
  });

  it('cuts a long room name with an ellipsis and keeps its secret mark and unread count on the line', () => {
    const list = new ConversationList('alice');
    list.open('room', 'husky-secret-room').secret = true;
    list.get(roomKey('husky-secret-room'))!.unread = 12;
    list.open('room', 'a-very-long-room-name').unread = 3;
    list.open('room', 'x').secret = true;
    const lines = roomListText(list.list(), undefined, theme, 14).split('\n').map((l) => l.replace(/\{[^}]*\}/g, ''));
    expect(lines.slice(0, 3)).to.deep.equal(['#hus… sec (12)', '#a-very-l… (3)', '#x secret']);
    for (const line of lines) expect([...line].length).to.be.at.most(14);
  });
});
