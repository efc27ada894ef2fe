// The waiting rooms' and `parlor discover`'s list: servers with the same chat id and key are one
// chat with several addresses; anything else is a chat of its own.

import { expect } from 'chai';
import type { DiscoveredServer } from '../../src/discovery/discover.ts';
import { addressList, DiscoveredChats } from '../../src/shared/discovered-chats.ts';

const KEY = `SHA256:${'A'.repeat(43)}`;
const OTHER_KEY = `SHA256:${'B'.repeat(43)}`;

function answer(fields: Partial<DiscoveredServer> & Pick<DiscoveredServer, 'host' | 'port'>): DiscoveredServer {
  return { name: 'Campus', fingerprint: KEY, protocol: 1, via: 'broadcast 127.255.255.255', password: 'pw', ...fields };
}

describe('shared/discovered-chats: servers of one chat listed as one', () => {
  it('lists two servers with the same chat id and key as one chat with both addresses, with the highest of their users (each counts the whole chat)', () => {
    const chats = new DiscoveredChats();
    const first = chats.add(answer({ host: '10.0.1.5', port: 7447, chat: 'c1', users: 2 }));
    const second = chats.add(answer({ host: '10.0.2.5', port: 7447, chat: 'c1', users: 3, server: 'Annex' }));
    expect([first.isNew, second.isNew]).to.deep.equal([true, false]);
    expect(second.row).to.equal(first.row);
    expect(chats.chats).to.have.length(1);
    const chat = chats.chats[0]!;
    expect(chat).to.deep.include({ name: 'Campus', host: '10.0.1.5', port: 7447, chat: 'c1', users: 3 });
    expect(chat.addresses.map((a) => a.address)).to.deep.equal(['10.0.1.5:7447', '10.0.2.5:7447']);
    expect(addressList(chat)).to.equal('10.0.1.5:7447, 10.0.2.5:7447 (Annex)');
  });

  it('replaces an address when the same server answers again with more (users after mDNS)', () => {
    const chats = new DiscoveredChats();
    chats.add(answer({ host: '10.0.1.5', port: 7447, chat: 'c1', via: 'mdns' }));
    expect(chats.chats[0]!.users).to.equal(undefined);
    const again = chats.add(answer({ host: '10.0.1.5', port: 7447, chat: 'c1', users: 4, update: true }));
    expect(again.isNew).to.equal(false);
    expect(chats.chats[0]!.addresses).to.have.length(1);
    expect(chats.chats[0]!.users).to.equal(4);
    expect(chats.chats[0]).to.not.have.property('update');
  });

  it('keeps apart a server that copies a chat id under another key, servers without a chat id, and other chats', () => {
    const chats = new DiscoveredChats();
    chats.add(answer({ host: '10.0.1.5', port: 7447, chat: 'c1' }));
    chats.add(answer({ host: '10.0.1.66', port: 7447, chat: 'c1', fingerprint: OTHER_KEY, name: 'Impostor' }));
    chats.add(answer({ host: '10.0.1.7', port: 7447, chat: 'c2', fingerprint: OTHER_KEY, name: 'Lab' }));
    chats.add(answer({ host: '10.0.1.8', port: 7447, name: 'Solo', fingerprint: `SHA256:${'C'.repeat(43)}` }));
    expect(chats.chats.map((chat) => `${chat.name} ${addressList(chat)}`)).to.deep.equal(['Campus 10.0.1.5:7447', 'Impostor 10.0.1.66:7447', 'Lab 10.0.1.7:7447', 'Solo 10.0.1.8:7447']);
    chats.clear();
    expect(chats.chats).to.have.length(0);
  });
});
