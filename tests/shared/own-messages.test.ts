import { expect } from 'chai';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { ownMessage } from '../../src/shared/own-messages.ts';

const sent = (where: Partial<DeliveredMessage>): DeliveredMessage => ({ type: 'message', id: 7, ts: 1_700_000_000_000, from: 'alice', text: 'hi', ...where });
// What ownMessage reads of ChatClient: this client's key, and which rooms it seals to.
const chat = { fingerprint: 'SHA256:alice', isSecretRoom: (room: string) => room === 'vault' };

describe('shared/own-messages', () => {
  it('files this user\'s own lines with the state they left in: sealed by this client, or in clear and why', () => {
    expect(ownMessage(chat, sent({ room: 'lobby' })).e2e).to.deep.equal({ state: 'none' });
    expect(ownMessage(chat, sent({ room: 'vault' })).e2e).to.deep.equal({ state: 'verified', fingerprint: 'SHA256:alice', sentAt: 1_700_000_000_000, timeMismatch: false });
    expect(ownMessage(chat, sent({ to: 'bob' })).e2e).to.include({ state: 'verified' });
    // A DM with someone over ssh goes in clear: the server terminates their session.
    expect(ownMessage(chat, sent({ to: 'dora', sshUser: 'dora' })).e2e).to.deep.equal({ state: 'none', sshUser: 'dora' });
  });
});
