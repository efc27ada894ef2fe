import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { KnownServers, serverKeyChangedError } from '../../src/client/known-servers.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const A = 'SHA256:' + 'A'.repeat(43);
const B = 'SHA256:' + 'B'.repeat(43);

describe('client/known-servers', () => {
  it('knows nothing at first, then the address and the name it remembered (mode 0600)', () => {
    const known = new KnownServers(tempDir('ks'));
    expect(known.check('10.0.0.1:7447', 'office', A)).to.deep.equal({ state: 'new' });
    known.remember('10.0.0.1:7447', 'office', A);
    expect(known.check('10.0.0.1:7447', 'office', A)).to.deep.equal({ state: 'known' });
    expect(statSync(known.path).mode & 0o777).to.equal(0o600);
    expect(readFileSync(known.path, 'utf8')).to.match(/^# parlor known servers/);
  });

  it('flags a different key at a known address, with the line to delete', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', 'office', A);
    expect(known.check('10.0.0.1:7447', 'office', B)).to.deep.equal({ state: 'changed', kind: 'address', value: '10.0.0.1:7447', trusted: A, line: 2 });
  });

  it('flags a known name presenting another key from a new address (a spoofed or moved server)', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', 'office', A);
    expect(known.check('10.0.0.9:7447', 'office', B)).to.include({ state: 'changed', kind: 'name', trusted: A });
    expect(known.check('10.0.0.9:7447', 'office', A)).to.deep.equal({ state: 'known' });
  });

  it('replaces the old bindings when a new key is deliberately accepted, and keeps unrelated lines', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', 'office', A);
    known.remember('10.0.0.2:7447', 'lab', A);
    known.remember('10.0.0.1:7447', 'office', B);
    expect(known.check('10.0.0.1:7447', 'office', B)).to.deep.equal({ state: 'known' });
    expect(known.check('10.0.0.2:7447', 'lab', A)).to.deep.equal({ state: 'known' });
    expect(readFileSync(known.path, 'utf8').split('\n').filter((l) => l.includes(A))).to.have.length(2);
  });

  it('keeps names with spaces and ignores lines it cannot read', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('[fe80::1]:7447', 'Büro 2. Stock', A);
    writeFileSync(known.path, readFileSync(known.path, 'utf8') + 'garbage line\n');
    expect(known.check('[fe80::1]:7447', 'Büro 2. Stock', A)).to.deep.equal({ state: 'known' });
  });

  it('words the refusal loudly: both keys, the file and line, and how to accept', () => {
    const error = serverKeyChangedError({ state: 'changed', kind: 'address', value: '10.0.0.1:7447', trusted: A, line: 2 }, B, '/x/known_servers');
    expect(error.code).to.equal('SERVER_KEY_CHANGED');
    expect(error.message).to.include('WARNING').and.include(A).and.include(B).and.include('--accept-new-key').and.include('line 2 of /x/known_servers');
  });
});
