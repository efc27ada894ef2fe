// Who an SSH visitor is (src/ssh/visitor-identities.ts): identities are RSA key generations, made one
// at a time behind a short queue, so that a flood of new keys or guests cannot take every core; and a
// key refused at the login leaves nothing behind.

import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ParlorError } from '../../src/protocol/errors.ts';
import { VisitorIdentities } from '../../src/ssh/visitor-identities.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('SSH visitor identities', function () {
  this.timeout(60_000);

  it('makes new identities one at a time, and past the queue refuses with RATE_LIMITED instead of waiting', async () => {
    const dataDir = tempDir('parlor-visitors');
    const identities = new VisitorIdentities(dataDir, 2);
    try {
      const asked = Array.from({ length: 5 }, () => identities.guest());
      const outcomes = await Promise.allSettled(asked);
      const made = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
      // One being made and two waiting; the other two are told to come back.
      expect(made).to.have.length(3);
      expect(refused).to.have.length(2);
      for (const error of refused) {
        expect(error).to.be.instanceOf(ParlorError);
        expect((error as ParlorError).code).to.equal('RATE_LIMITED');
      }
      // The queue drained: the next one is made.
      const later = await identities.guest();
      expect(later.identity.fingerprint).to.match(/^SHA256:/);
      // No guest directory is left by a refused one: only the four made are there.
      expect(readdirSync(join(dataDir, 'ssh-visitors', 'guests'))).to.have.length(4);
    } finally {
      identities.close();
    }
  });

  it('keeps a key holder\'s identity, and removes it again when its first login was refused', async () => {
    const dataDir = tempDir('parlor-visitors');
    const identities = new VisitorIdentities(dataDir);
    try {
      const kept = await identities.forKey(Buffer.from('a key that got in'));
      const again = await identities.forKey(Buffer.from('a key that got in'));
      expect(again.identity.fingerprint).to.equal(kept.identity.fingerprint);
      again.discard();
      expect(existsSync(kept.configDir), 'an identity that had got in before was removed').to.equal(true);
      const refused = await identities.forKey(Buffer.from('a key refused at its first login'));
      refused.discard();
      expect(existsSync(refused.configDir)).to.equal(false);
      expect(readdirSync(join(dataDir, 'ssh-visitors'))).to.deep.equal([kept.configDir.split('/').pop()]);
    } finally {
      identities.close();
    }
  });
});
