import { expect } from 'chai';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { ConversationList, roomKey } from '../../src/shared/conversations.ts';
import { PageEntries, type WebPicture } from '../../src/web/page-entries.ts';
import type { WebEvent } from '../../src/web/wire.ts';

const message = (id: number, from: string, text: string, more: Partial<DeliveredMessage> = {}): DeliveredMessage => ({ type: 'message', id, from, text, ts: 1_700_000_000_000 + id, room: 'lobby', ...more });

/** The shared model and what the page is sent of it, as WebChat wires them. */
function world(): { model: ConversationList<WebPicture>; page: PageEntries; sent: Array<Extract<WebEvent, { type: 'entries' }>>; send: (reset?: boolean) => void } {
  const model = new ConversationList<WebPicture>('alice');
  const sent: Array<Extract<WebEvent, { type: 'entries' }>> = [];
  const page = new PageEntries((event) => event.type === 'entries' && sent.push(event), { self: () => 'alice', transfer: () => { throw new Error('no transfers here'); } });
  return { model, page, sent, send: (reset = false) => page.send(model.current(), reset) };
}

const texts = (event: { entries: Array<{ kind: string; text?: string }> } | undefined): Array<string | undefined> => (event?.entries ?? []).map((e) => e.text);

describe('web/page-entries', () => {
  it('sends the conversation on screen whole at first, then only the entries added at its end', () => {
    const { model, sent, send } = world();
    model.open('room', 'lobby');
    model.addMessage(message(1, 'bob', 'one'));
    send();
    expect(sent.map((e) => e.mode)).to.deep.equal(['reset']);
    model.addMessage(message(2, 'alice', 'two'));
    model.notice(undefined, 'carol joined #lobby', 'join');
    send();
    expect(sent[1]!.mode).to.equal('append');
    expect(texts(sent[1])).to.deep.equal(['two', 'carol joined #lobby']);
    expect(sent[1]!.entries[0]).to.include({ kind: 'message', own: true, mention: false });
    send();
    expect(sent, 'nothing new: nothing sent').to.have.length(2);
  });

  it('sends an older page as a prepend, a message filed in the middle as a reset', () => {
    const { model, sent, send } = world();
    model.open('room', 'lobby');
    model.addMessage(message(10, 'bob', 'ten'));
    model.addMessage(message(12, 'bob', 'twelve'));
    send();
    for (const id of [5, 6]) model.addMessage(message(id, 'bob', `older ${id}`), false);
    send();
    expect(sent[1]!.mode).to.equal('prepend');
    expect(texts(sent[1])).to.deep.equal(['older 5', 'older 6']);
    model.addMessage(message(11, 'bob', 'eleven'), false);
    send();
    expect(sent[2]!.mode).to.equal('reset');
    expect(texts(sent[2])).to.deep.equal(['older 5', 'older 6', 'ten', 'eleven', 'twelve']);
  });

  it('numbers each entry once, keeps conversations off screen until selected, and shows nothing for a message not sealed to this user', () => {
    const { model, page, sent, send } = world();
    model.open('room', 'lobby');
    model.open('room', 'dev');
    model.addMessage(message(1, 'bob', 'hi @alice'));
    send();
    const first = sent[0]!.entries[0]!;
    expect(first).to.include({ kind: 'message', mention: true, own: false });
    model.addMessage(message(2, 'bob', 'in dev', { room: 'dev' }));
    model.addMessage(message(3, 'carol', '', { e2e: { state: 'not-sealed-to-you', fingerprint: 'SHA256:carol' } }));
    send();
    expect(sent, 'dev is off screen, and the unreadable message shows nothing').to.have.length(1);
    model.select(roomKey('dev'));
    send(true);
    expect(sent[1]).to.include({ key: roomKey('dev'), mode: 'reset' });
    model.select(roomKey('lobby'));
    send(true);
    expect(sent[2]!.entries).to.deep.equal([first]);
    expect(page.wireEntry(model.get(roomKey('lobby'))!.entries[0]!)).to.equal(first);
  });
});
