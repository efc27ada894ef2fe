import { expect } from 'chai';
import { mdnsHostName } from '../../src/discovery/mdns.ts';

describe('discovery/mdns', () => {
  it('names the host HOST.local with a valid DNS label, whatever the host name looks like', () => {
    expect(mdnsHostName('vm')).to.equal('vm.local');
    expect(mdnsHostName('build-01.example.com')).to.equal('build-01.local');
    expect(mdnsHostName('Ada_s laptop')).to.equal('Ada-s-laptop.local');
    expect(mdnsHostName('__')).to.equal('parlor.local');
    expect(mdnsHostName('x'.repeat(80))).to.equal(`${'x'.repeat(63)}.local`);
  });
});
