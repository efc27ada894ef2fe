// A new name logged in at the same moment on two servers of one chat, with two different keys:
// the database binds it once (the users table's key), so exactly one login passes and the other
// is refused, and the name stays bound to the winner's key.

import { expect } from 'chai';
import pg from 'pg';
import type { ChatClient } from '../../src/client/chat-client.ts';
import { connectChat } from '../helpers/chat-clients.ts';
import { startCluster } from '../helpers/cluster.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { freshDatabase } from '../helpers/postgres.ts';

const ROUNDS = 15;

describe('cluster: one new name on two servers at once', function () {
  this.timeout(120_000);
  const clients: ChatClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  it(`lets exactly one of two simultaneous logins of a new name pass, ${ROUNDS} times over`, async function () {
    const url = await freshDatabase(this, 'namerace');
    const cluster = await startCluster(url, 2);
    const [first, second] = await sharedIdentities();
    const database = new pg.Client(url);
    await database.connect();
    try {
      const refusals: string[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const name = `racer${round}`;
        const outcomes = await Promise.allSettled([connectChat(cluster.servers[0]!, first!, name), connectChat(cluster.servers[1]!, second!, name)]);
        const won = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [{ client: outcome.value, identity: [first, second][index]! }] : []));
        clients.push(...won.map((winner) => winner.client));
        const lost = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as { code?: string; message?: string }] : []));
        expect(won.length, `${name}: logins that passed`).to.equal(1);
        // Refused as a name in use: online now (NAME_TAKEN), or, when the winner's row reached the
        // loser's server before its login read it, bound to another key (NAME_RESERVED).
        expect(lost[0]?.code, `${name}: ${lost[0]?.message}`).to.be.oneOf(['NAME_TAKEN', 'NAME_RESERVED']);
        refusals.push(lost[0]!.code!);
        const { rows } = await database.query<{ fingerprint: string }>('SELECT fingerprint FROM users WHERE key = $1', [name]);
        expect(rows.map((row) => row.fingerprint), `${name} is bound to the winner's key`).to.deep.equal([won[0]!.identity.fingerprint]);
        for (const client of clients.splice(0)) client.close();
      }
      // Logged for the reader: how the losers were told.
      console.log(`      refusals: ${refusals.filter((code) => code === 'NAME_TAKEN').length} NAME_TAKEN, ${refusals.filter((code) => code === 'NAME_RESERVED').length} NAME_RESERVED`);
    } finally {
      await database.end();
    }
  });
});
