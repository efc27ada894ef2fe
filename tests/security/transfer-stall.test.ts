// Issue 17, denial of service item 8, as an attack on a `parlor serve` child over loopback: a
// sender whose offers were accepted and that then sends nothing no longer holds the receiver's
// transfer places (and its partial files) until it cancels: --transfer-stall-ms applies to
// senders too.

import { expect } from 'chai';
import { FileTransfers, type IncomingTransfer } from '../../src/client/transfers/transfers.ts';
import { expectCode } from '../helpers/chat-world.ts';
import { JOIN_PASSWORD, connectChat, rawRequest, waitUntil } from '../helpers/chat-clients.ts';
import { listDir } from '../helpers/files.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { rawPeer } from '../helpers/raw-peer.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('security: a stalled sender (issue 17, item 8)', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  afterEach(async () => {
    await server?.stop();
  });

  it('ends accepted transfers that carry no data with TRANSFER_STALLED, deletes the partial files, and frees the places', async () => {
    server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--transfer-stall-ms', '600', '--max-transfers-per-user', '4']);
    const [malloryKey, bobKey, carolKey] = await sharedIdentities();
    const mallory = await rawPeer(server.port, malloryKey!);
    expect((await rawRequest(mallory, { id: 1, type: 'login', name: 'mallory', password: JOIN_PASSWORD })).type).to.equal('reply');
    expect((await rawRequest(mallory, { id: 2, type: 'create', room: 'den' })).type).to.equal('reply');
    const bobChat = await connectChat(server, bobKey!, 'bob', { fingerprint: server.fingerprint });
    await bobChat.join('den');
    const downloads = tempDir('stall-downloads');
    const bob = new FileTransfers(bobChat, { downloadDir: downloads });
    const incoming: IncomingTransfer[] = [];
    bob.on('incoming', (transfer) => incoming.push(transfer));

    // The attack: four offers (bob's every place), accepted, then not one byte.
    for (let i = 0; i < 4; i++) {
      const offer = await rawRequest(mallory, { id: 10 + i, type: 'file_offer', room: 'den', name: `bait-${i}.bin`, size: 1_000_000, sha256: '0'.repeat(64) });
      expect(offer.type, JSON.stringify(offer)).to.equal('reply');
    }
    await waitUntil(() => incoming.length === 4, 'bob accepting the four offers');
    for (const transfer of incoming) await expectCode(transfer.done, 'TRANSFER_STALLED');
    await waitUntil(() => mallory.received.filter((m) => (m as { type?: string; code?: string }).type === 'file_cancelled' && (m as { code?: string }).code === 'TRANSFER_STALLED').length === 4, 'the sender told of each stall');
    expect(await listDir(downloads), 'partial files left behind').to.deep.equal([]);

    // Bob's places are free again: another sender's file goes through.
    const carolChat = await connectChat(server, carolKey!, 'carol', { fingerprint: server.fingerprint });
    await carolChat.join('den');
    const after = await rawRequest(mallory, { id: 20, type: 'file_offer', room: 'den', name: 'later.bin', size: 10, sha256: '0'.repeat(64) });
    expect(after, JSON.stringify(after)).to.include({ type: 'reply' });
    expect((after.data as { recipients: string[] }).recipients).to.include('bob');
    bobChat.close();
    carolChat.close();
    mallory.socket.destroy();
  });
});
