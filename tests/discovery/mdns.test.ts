import { expect } from 'chai';
import { mdnsHostName, mdnsInstanceName } from '../../src/discovery/mdns.ts';

const FINGERPRINT = `SHA256:${'Ab3+'.repeat(10)}xyz`;

describe('discovery/mdns', () => {
  it('names the host HOST.local with a valid DNS label, whatever the host name looks like', () => {
    expect(mdnsHostName('vm')).to.equal('vm.local');
    expect(mdnsHostName('build-01.example.com')).to.equal('build-01.local');
    expect(mdnsHostName('Ada_s laptop')).to.equal('Ada-s-laptop.local');
    expect(mdnsHostName('__')).to.equal('parlor.local');
    expect(mdnsHostName('x'.repeat(80))).to.equal(`${'x'.repeat(63)}.local`);
  });

  it('names the service instance with one DNS label of at most 63 bytes, whatever the server is called', () => {
    expect(mdnsInstanceName({ name: 'lab', fingerprint: FINGERPRINT }, 7448)).to.equal('lab Ab3+Ab3+');
    // A dot would split the name into labels; a long name would overflow the label's length byte.
    expect(mdnsInstanceName({ name: 'lab.home', fingerprint: FINGERPRINT }, 7448)).to.equal('lab-home Ab3+Ab3+');
    for (const name of ['é'.repeat(32), 'x'.repeat(64), '🐈'.repeat(16), 'a.b.'.repeat(16)]) {
      const instance = mdnsInstanceName({ name, fingerprint: FINGERPRINT }, 7448);
      expect(Buffer.byteLength(instance), name).to.be.at.most(63);
      expect(instance, name).to.not.include('.').and.not.include('\uFFFD');
      expect(instance.endsWith(' Ab3+Ab3+'), instance).to.equal(true);
    }
  });

  it('tells apart the servers of one chat that share its name and key, by host and port', () => {
    const chat = { name: 'office', fingerprint: FINGERPRINT, chat: 'c1' };
    const names = new Set([
      mdnsInstanceName(chat, 7448, 'alpha.local'),
      mdnsInstanceName(chat, 7448, 'beta.local'),
      mdnsInstanceName(chat, 7449, 'alpha.local'),
    ]);
    expect(names.size).to.equal(3);
    expect(mdnsInstanceName(chat, 7448, 'alpha.local')).to.equal('office Ab3+Ab3+ alpha-7448');
    expect(Buffer.byteLength(mdnsInstanceName({ ...chat, server: 'y'.repeat(64) }, 65535, `${'h'.repeat(63)}.local`))).to.be.at.most(63);
  });
});
