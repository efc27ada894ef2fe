import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { KnownPeers } from '../../../src/client/e2e/known-peers.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const SERVER = 'SHA256:server1';
const OTHER_SERVER = 'SHA256:server2';

describe('client/known-peers', () => {
  it('trusts a name on first use, knows it after, and reports a different key as changed with its line', () => {
    const dir = tempDir('peers');
    const peers = new KnownPeers(dir, SERVER);
    expect(peers.check('Ada', 'SHA256:a')).to.deep.equal({ state: 'new' });
    peers.remember('Ada', 'SHA256:a');
    expect(peers.check('ada', 'SHA256:a')).to.deep.equal({ state: 'known' });
    expect(peers.check('ADA', 'SHA256:b')).to.deep.equal({ state: 'changed', trusted: 'SHA256:a', line: 2 });
  });

  it('keeps names per server, in a file that a second instance reads', () => {
    const dir = tempDir('peers');
    new KnownPeers(dir, SERVER).remember('ada', 'SHA256:a');
    expect(new KnownPeers(dir, SERVER).check('ada', 'SHA256:a').state).to.equal('known');
    expect(new KnownPeers(dir, OTHER_SERVER).check('ada', 'SHA256:b').state).to.equal('new');
  });

  it('replaces a binding when a change is accepted, keeping other lines', () => {
    const dir = tempDir('peers');
    const peers = new KnownPeers(dir, SERVER);
    peers.remember('ada', 'SHA256:a');
    peers.remember('bob', 'SHA256:b');
    new KnownPeers(dir, OTHER_SERVER).remember('ada', 'SHA256:x');
    peers.remember('ada', 'SHA256:a2');
    const lines = readFileSync(peers.path, 'utf8').trim().split('\n');
    expect(lines[0]).to.match(/^# parlor known peers/);
    expect(lines.slice(1).sort()).to.deep.equal([`${OTHER_SERVER} ada SHA256:x`, `${SERVER} ada SHA256:a2`, `${SERVER} bob SHA256:b`].sort());
    expect(new KnownPeers(dir, SERVER).check('ada', 'SHA256:a2').state).to.equal('known');
  });
});
