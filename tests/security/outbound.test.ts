// Issue 17, denial of service item 10, as an attack on a `parlor serve` child over loopback:
// clients that join a busy room and never read. Each is under its own outbound cap (set high
// here, so that it would not fire), but together they pass the server's global outbound budget:
// the largest backlogs are dropped with SLOW_CONSUMER, and a client that reads is not.

import { expect } from 'chai';
import { connectChat, JOIN_PASSWORD, rawRequest, residentBytes, sleep } from '../helpers/chat-clients.ts';
import { collect } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer, type RawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { generateClientIdentity } from '../../src/crypto/identity.ts';

const MiB = 1024 * 1024;

describe('security: a global outbound budget (issue 17, item 10)', function () {
  this.timeout(120_000);
  let server: ServerProcess;
  afterEach(async () => {
    await server?.stop();
  });

  it('drops the readers that do not read, largest backlog first, once together they hold more than --max-total-outbound-bytes', async () => {
    server = await startServerProcess([
      '--ephemeral', '--password', JOIN_PASSWORD,
      '--max-outbound-bytes', String(256 * MiB), '--max-total-outbound-bytes', String(8 * MiB),
      '--rate', '100000', '--burst', '100000',
    ]);
    const pid = server.child.pid!;
    const [writerKey, readerKey] = await sharedIdentities();
    const stuck: RawPeer[] = [];
    for (let i = 0; i < 5; i++) {
      const peer = await rawPeer(server.port, await generateClientIdentity());
      expect((await rawRequest(peer, { id: 1, type: 'login', name: `stuck${i}`, password: JOIN_PASSWORD })).type).to.equal('reply');
      expect((await rawRequest(peer, { id: 2, type: 'join', room: 'lobby' })).type).to.equal('reply');
      peer.socket.pause(); // from here on it reads nothing
      stuck.push(peer);
    }
    const reader = await connectChat(server, readerKey!, 'reader', { fingerprint: server.fingerprint });
    await reader.join('lobby');
    const heard = collect(reader);
    const writer = await connectChat(server, writerKey!, 'writer', { fingerprint: server.fingerprint });
    await writer.join('lobby');
    const baseline = residentBytes(pid) ?? 0;
    let peak = baseline;

    // 40 MB for each reader: without the global budget, each stuck one would hold most of it.
    const padding = 'x'.repeat(4000);
    const MESSAGES = 10_000;
    let next = 0;
    const ids: number[] = [];
    const lane = async () => {
      while (next < MESSAGES) {
        const seq = next++;
        ids.push((await writer.say('lobby', `${seq} ${padding}`)).id);
        if (seq % 500 === 0) peak = Math.max(peak, residentBytes(pid) ?? 0);
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    for (let round = 0; round < 500 && heard.length < MESSAGES; round++) await sleep(20);

    const dropped = server.events.filter((e) => e.event === 'disconnect' && String(e.name).startsWith('stuck'));
    console.log(`      ${dropped.length} of 5 stuck readers dropped; server RSS ${(baseline / MiB).toFixed(1)} MiB before, peak ${(peak / MiB).toFixed(1)} MiB`);
    expect(dropped.map((e) => e.code)).to.deep.equal(Array(5).fill('SLOW_CONSUMER'));
    expect(String(dropped[0]!.message)).to.match(/more than 8388608 bytes for its readers/);
    expect(heard.length, 'messages the reading client got').to.equal(MESSAGES);
    expect(reader.connected && writer.connected).to.equal(true);
    reader.close();
    writer.close();
    for (const peer of stuck) peer.socket.destroy();
  });
});
