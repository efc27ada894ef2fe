import { expect } from 'chai';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { describeTrustState, KnownServers, serverKeyChangedError } from '../../src/client/known-servers.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const A = 'SHA256:' + 'A'.repeat(43);
const B = 'SHA256:' + 'B'.repeat(43);
const C = 'SHA256:' + 'C'.repeat(43);

describe('client/known-servers', () => {
  it('knows nothing at first, then the address it remembered (mode 0600), with the name as a label', () => {
    const known = new KnownServers(tempDir('ks'));
    expect(known.check('10.0.0.1:7447', A)).to.deep.equal({ state: 'new' });
    known.remember('10.0.0.1:7447', A, 'office');
    expect(known.check('10.0.0.1:7447', A)).to.deep.equal({ state: 'known' });
    expect(statSync(known.path).mode & 0o777).to.equal(0o600);
    const lines = readFileSync(known.path, 'utf8').split('\n');
    expect(lines[0]).to.match(/^# parlor known servers/);
    expect(lines[1]).to.equal(`address ${A} 10.0.0.1:7447 office`);
  });

  it('flags a different key at a known address, with the one line to delete', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', A, 'office');
    expect(known.check('10.0.0.1:7447', B)).to.deep.equal({ state: 'changed', address: '10.0.0.1:7447', trusted: A, line: 2 });
  });

  it('pins by address only: two servers of the same name on two ports are both new, then both known', () => {
    const known = new KnownServers(tempDir('ks'));
    expect(known.check('127.0.0.1:7000', A)).to.deep.equal({ state: 'new' });
    known.remember('127.0.0.1:7000', A, 'vm');
    expect(known.check('127.0.0.1:7001', B)).to.deep.equal({ state: 'new' });
    known.remember('127.0.0.1:7001', B, 'vm');
    expect(known.check('127.0.0.1:7000', A)).to.deep.equal({ state: 'known' });
    expect(known.check('127.0.0.1:7001', B)).to.deep.equal({ state: 'known' });
  });

  it('calls a known key at a new address known (moved), and a new key at a new address new', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', A, 'office');
    const moved = known.check('10.0.0.9:7447', A);
    expect(moved).to.deep.equal({ state: 'known', movedFrom: '10.0.0.1:7447' });
    expect(describeTrustState(moved)).to.equal('known (moved from 10.0.0.1:7447)');
    expect(known.check('10.0.0.9:7447', B)).to.deep.equal({ state: 'new' });
    known.remember('10.0.0.9:7447', A, 'office');
    expect(known.check('10.0.0.9:7447', A)).to.deep.equal({ state: 'known' });
  });

  it('replaces the old key when a new one is deliberately accepted, and keeps unrelated lines', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', A, 'office');
    known.remember('10.0.0.2:7447', A, 'lab');
    known.remember('10.0.0.1:7447', B, 'office');
    expect(known.check('10.0.0.1:7447', B)).to.deep.equal({ state: 'known' });
    expect(known.check('10.0.0.2:7447', A)).to.deep.equal({ state: 'known' });
    expect(readFileSync(known.path, 'utf8').split('\n').filter((l) => l.startsWith('address'))).to.have.length(2);
  });

  it('forgets a server in one step: its address and its key wherever else it was seen, nothing else', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('10.0.0.1:7447', A, 'office');
    known.remember('10.0.0.9:7447', A, 'office');
    known.remember('10.0.0.2:7447', C, 'lab');
    const removed = known.forget('10.0.0.9:7447');
    expect(removed).to.deep.equal([`address ${A} 10.0.0.1:7447 office`, `address ${A} 10.0.0.9:7447 office`]);
    expect(known.check('10.0.0.1:7447', B)).to.deep.equal({ state: 'new' });
    expect(known.check('10.0.0.2:7447', C)).to.deep.equal({ state: 'known' });
    expect(known.forget('10.0.0.1:7447')).to.deep.equal([]);
  });

  it('reads a file of the old format by its address lines, and drops its name lines on the next write', () => {
    const known = new KnownServers(tempDir('ks'));
    writeFileSync(known.path, [
      '# parlor known servers: "address|name FINGERPRINT VALUE". Delete a line to forget a key.',
      `address ${A} 127.0.0.1:7000`,
      `name    ${A} vm`,
      `address ${B} 127.0.0.1:7001`,
      `name    ${B} vm`,
      '',
    ].join('\n'));
    // The old name line would have called B's server at a new address a KEY CHANGED.
    expect(known.check('127.0.0.1:7002', C)).to.deep.equal({ state: 'new' });
    expect(known.check('127.0.0.1:7001', B)).to.deep.equal({ state: 'known' });
    known.remember('127.0.0.1:7001', B, 'vm');
    const text = readFileSync(known.path, 'utf8');
    expect(text).not.to.match(/^name /m).and.not.include('address|name');
    expect(text.split('\n').filter((l) => l.startsWith('address'))).to.deep.equal([`address ${A} 127.0.0.1:7000`, `address ${B} 127.0.0.1:7001 vm`]);
  });

  it('keeps labels with spaces and IPv6 addresses, and ignores lines it cannot read', () => {
    const known = new KnownServers(tempDir('ks'));
    known.remember('[fe80::1]:7447', A, 'Büro 2. Stock');
    writeFileSync(known.path, readFileSync(known.path, 'utf8') + 'garbage line\n');
    expect(known.check('[fe80::1]:7447', A)).to.deep.equal({ state: 'known' });
    expect(known.check('[fe80::1]:7447', B)).to.include({ state: 'changed', line: 2 });
  });

  it('words the refusal loudly: both keys, the one line to delete, how to forget and how to accept', () => {
    const error = serverKeyChangedError({ state: 'changed', address: '10.0.0.1:7447', trusted: A, line: 2 }, B, '/x/known_servers');
    expect(error.code).to.equal('SERVER_KEY_CHANGED');
    expect(error.message).to.include('WARNING').and.include(A).and.include(B).and.include('--accept-new-key')
      .and.include('parlor ping --forget 10.0.0.1:7447').and.include('line 2 of /x/known_servers');
  });
});
