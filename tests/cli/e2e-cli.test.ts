// parlor send and parlor tail in a secret room: they seal and open through src/client, with no
// flag to ask for it.

import { expect } from 'chai';
import { ChatClient } from '../../src/client/chat-client.ts';
import { collect, settle } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('cli: parlor send and parlor tail in a secret room', () => {
  it('send seals to the members; tail --json prints history opened (or marked not sealed to you), without the envelope', async () => {
    const server = await startServerProcess(['--data', tempDir('data'), '--password', 'pw', '--no-discovery']);
    const [identity] = await sharedIdentities();
    const owner = await ChatClient.connect({
      host: '127.0.0.1',
      port: server.port,
      identity: identity!,
      configDir: tempDir('owner'),
      fingerprint: server.fingerprint,
      name: 'owner',
      password: 'pw',
      reconnect: false,
    });
    try {
      await owner.create('vault', 'sesame', { secret: true });
      const got = collect(owner);
      const adaConfig = tempDir('cfg-ada');
      const as = ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'ada', '--config', adaConfig, '--fingerprint', server.fingerprint];
      const sent = await runParlor(['send', ...as, '--room', 'vault', '--room-password', 'sesame', 'sealed', 'by', 'the', 'cli']);
      expect(sent.code, sent.stderr).to.equal(0);
      await settle(owner);
      expect(got.map((m) => [m.text, m.e2e?.state])).to.deep.equal([['sealed by the cli', 'verified']]);
      // Sent while ada is not in the room (her send has left it): not sealed to her.
      await owner.say('vault', 'while ada is away');
      const tail = await runParlor(['tail', ...as, '--room', 'vault', '--room-password', 'sesame', '--json', '--count', '2', '--timeout', '20']);
      expect(tail.code, tail.stderr).to.equal(0);
      const lines = tail.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((l) => [l.from, l.text, (l.e2e as { state: string }).state])).to.deep.equal([
        ['ada', 'sealed by the cli', 'verified'],
        ['owner', '', 'not-sealed-to-you'],
      ]);
      expect(lines.every((l) => !('sealed' in l))).to.equal(true);
      // Plaintext into a secret room is refused by the server, with its code.
      const plain = await owner.request('say', { room: 'vault', text: 'clear' }).catch((error: { code: string }) => error.code);
      expect(plain).to.equal('E2E_REQUIRED');
    } finally {
      owner.close();
    }
  });
});
