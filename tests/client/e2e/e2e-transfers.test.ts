// End-to-end file transfer (issue 9): a file to a user, or to a secret room, reaches its
// recipients byte for byte while the server relays only ciphertext; a relay turned hostile
// (tests/helpers/hostile-relay.ts) that alters, reorders, drops, repeats, cuts, extends or swaps
// chunks, or re-labels an offer, is caught by the receiver with its own code and leaves no file;
// a sender whose key changed is held; blocks still hold. What the server relays is observed by a
// raw receiving peer (raw-peer.ts), which sees the records exactly as relayed.

import { expect } from 'chai';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChatClient } from '../../../src/client/chat-client.ts';
import { FileTransfers, type IncomingTransfer } from '../../../src/client/transfers/transfers.ts';
import { generateClientIdentity, type ClientIdentity } from '../../../src/crypto/identity.ts';
import { CHUNK_MAX_BYTES, RECORD_KIND_CHUNK } from '../../../src/protocol/constants.ts';
import { CHUNK_FLAG_LAST, CHUNK_FLAG_SEALED, decodeChunkBody, encodeWindowRecord } from '../../../src/protocol/transfer-records.ts';
import { disconnected, expectCode, loginOnceLapsed, PASSWORD, settle, startWorld, type World } from '../../helpers/chat-world.ts';
import { rawRequest } from '../../helpers/chat-clients.ts';
import { listDir, sameBytes, writeSeededFile } from '../../helpers/files.ts';
import { CHUNK_DATA_AT, makeRelayHostile, withData, withOffset, withTransfer, type Tampering } from '../../helpers/hostile-relay.ts';
import { sharedIdentities } from '../../helpers/identities.ts';
import { rawPeer, type RawPeer } from '../../helpers/raw-peer.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const MiB = 1024 * 1024;
const MARKER = Buffer.from('PLAINTEXT-MARKER-5e1d-do-not-relay');
const NAME = 'quarterly-plans-7f3a.txt';

interface Person {
  chat: ChatClient;
  files: FileTransfers;
  dir: string;
}

function nextIncoming(files: FileTransfers): Promise<IncomingTransfer> {
  return new Promise((resolve) => files.once('incoming', resolve));
}

function nextDeclined(files: FileTransfers): Promise<string> {
  return new Promise((resolve) => files.once('declined', (_transfer, code) => resolve(code)));
}

/** A pseudo-random file (so it is sent undeflated) with the marker written into it here and there. */
async function markedFile(path: string, size: number): Promise<void> {
  await writeSeededFile(path, size, `marked ${size}`);
  const handle = await open(path, 'r+');
  try {
    for (const at of [0, Math.floor(size / 3), size - MARKER.length]) await handle.write(MARKER, 0, MARKER.length, at);
  } finally {
    await handle.close();
  }
}

describe('client/e2e-transfers: files to users and secret rooms go end to end', function () {
  this.timeout(60_000);
  let world: World;
  let source: string;
  let undo: (() => void) | undefined;

  beforeEach(async () => {
    world = await startWorld({ nameReservationMs: 50 });
    source = tempDir('e2e-transfer-source');
  });
  afterEach(async () => {
    undo?.();
    undo = undefined;
    await world.stop();
    await rm(source, { recursive: true, force: true });
  });

  async function person(name: string, identity?: ClientIdentity): Promise<Person> {
    const chat = await world.login(name, identity ? { identity } : {});
    const dir = tempDir(`e2e-downloads-${name}`);
    return { chat, files: new FileTransfers(chat, { downloadDir: dir }), dir };
  }

  async function secretRoom(room: string, people: Person[]): Promise<void> {
    await people[0]!.chat.create(room, undefined, { secret: true });
    for (const p of people.slice(1)) await p.chat.join(room);
    for (const p of people) await settle(p.chat);
  }

  describe('arrive byte for byte', () => {
    for (const size of [0, 1, CHUNK_MAX_BYTES, CHUNK_MAX_BYTES + 1, 3 * MiB]) {
      it(`a ${size}-byte file to a user, and to a secret room of three, sealed by the sender's key`, async () => {
        const [ada, bob, cy] = [await person('ada'), await person('bob'), await person('cy')];
        const path = join(source, `sealed-${size}.bin`);
        await writeSeededFile(path, size, `sealed ${size}`);

        const incoming = nextIncoming(bob.files);
        const sent = await ada.files.send({ to: 'bob' }, path).done;
        expect(sent.received).to.deep.equal(['bob']);
        const got = await incoming;
        expect(got.sealedBy).to.equal((await sharedIdentities())[0]!.fingerprint);
        expect(got.offeredName).to.equal(`sealed-${size}.bin`);
        expect(await sameBytes(path, (await got.done).path)).to.equal(true);

        await secretRoom('vault', [ada, bob, cy]);
        const arriving = [nextIncoming(bob.files), nextIncoming(cy.files)];
        const toRoom = await ada.files.send({ room: 'vault' }, path).done;
        expect(toRoom.received.sort()).to.deep.equal(['bob', 'cy']);
        for (const transfer of await Promise.all(arriving)) {
          expect(transfer.sealedBy).to.be.a('string');
          const saved = await transfer.done;
          expect(await sameBytes(path, saved.path)).to.equal(true);
          await rm(saved.path);
        }
      });
    }
  });

  describe('what the server relays', () => {
    /** A raw receiving peer that accepts every offer, reports every chunk written, and keeps all it was sent. */
    async function observer(name: string): Promise<{ peer: RawPeer; records: Buffer[]; json: () => string }> {
      const peer = await rawPeer(world.server.address.port, await generateClientIdentity());
      let id = 1;
      expect((await rawRequest(peer, { id: id++, type: 'login', name, password: PASSWORD })).type).to.equal('reply');
      const records: Buffer[] = [];
      const taken = new Map<number, number>();
      const sizes = new Map<number, number>();
      peer.onRecord = (record) => {
        records.push(Buffer.from(record.raw));
        if (record.kind !== RECORD_KIND_CHUNK) return;
        const chunk = decodeChunkBody(record.body);
        const total = (taken.get(chunk.transfer) ?? 0) + chunk.data.length;
        taken.set(chunk.transfer, total);
        peer.sendPayload(peer.sealer.seal([encodeWindowRecord({ transfer: chunk.transfer, bytes: total })]));
        const sealed = (chunk.flags & CHUNK_FLAG_SEALED) !== 0;
        if (sealed ? chunk.flags & CHUNK_FLAG_LAST : total >= sizes.get(chunk.transfer)!) void rawRequest(peer, { id: id++, type: 'file_done', transfer: chunk.transfer });
      };
      let answered = 0;
      peer.socket.on('data', () => {
        for (; answered < peer.received.length; answered++) {
          const m = peer.received[answered] as { type?: string; transfer?: number; size?: number };
          if (m.type !== 'file_offered') continue;
          sizes.set(m.transfer!, m.size!);
          void rawRequest(peer, { id: id++, type: 'file_accept', transfer: m.transfer! });
        }
      });
      return { peer, records, json: () => JSON.stringify(peer.received) };
    }

    it('holds no plaintext of a file nor its name, for a user and for a secret room; a plaintext room shows both (the observer sees all)', async () => {
      const ada = await person('ada');
      const rex = await observer('rex');
      const path = join(source, NAME);
      await markedFile(path, 1 * MiB);

      await ada.files.send({ to: 'rex' }, path).done;
      await ada.chat.create('vault', undefined, { secret: true });
      await rawRequest(rex.peer, { id: 900, type: 'join', room: 'vault' });
      await settle(ada.chat);
      await ada.files.send({ room: 'vault' }, path).done;
      const sealedRecords = Buffer.concat(rex.records);
      expect(sealedRecords.length, 'the observer got the chunks').to.be.above(2 * MiB);
      expect(sealedRecords.includes(MARKER), 'a plaintext marker in a relayed chunk').to.equal(false);
      expect(rex.json()).to.not.include(NAME).and.to.not.include(MARKER.toString());
      expect(rex.json()).to.include('"sealed"');

      // Control: in a plaintext room the same observer sees the name and the marker.
      await ada.chat.create('open-plan');
      await rawRequest(rex.peer, { id: 901, type: 'join', room: 'open-plan' });
      await ada.files.send({ room: 'open-plan' }, path).done;
      expect(Buffer.concat(rex.records).includes(MARKER)).to.equal(true);
      expect(rex.json()).to.include(NAME);
    });
  });

  describe('a hostile relay', () => {
    const FILE = 1 * MiB;

    /** Sends a file from ada to bob (or to their secret room) through a relay tampering as told. */
    async function tampered(tampering: Tampering, options: { room?: boolean } = {}) {
      const ada = await person('ada');
      const bob = await person('bob');
      if (options.room) await secretRoom('vault', [ada, bob]);
      const path = join(source, 'target.bin');
      await writeSeededFile(path, FILE, 'target');
      undo = makeRelayHostile(world.server, tampering);
      return { ada, bob, path, target: options.room ? { room: 'vault' } : { to: 'bob' } };
    }

    const chunkCases: Array<[string, (record: Buffer, index: number, held: Buffer[]) => Buffer[]]> = [
      ['an altered byte', (r, i) => (i === 1 ? [withData(r, Buffer.from(r.subarray(CHUNK_DATA_AT).map((b, j) => (j === 100 ? b ^ 1 : b))))] : [r])],
      ['a flag flipped (deflated)', (r, i) => (i === 1 ? [((c) => ((c[17]! ^= 0x01), c))(Buffer.from(r))] : [r])],
      ['the last-chunk flag removed', (r) => (r[17]! & CHUNK_FLAG_LAST ? [((c) => ((c[17]! &= ~CHUNK_FLAG_LAST), c))(Buffer.from(r))] : [r])],
      ['two chunks reordered', (r, i, held) => (i === 0 ? (held.push(r), []) : i === 1 ? [r, held.pop()!] : [r])],
      ['a chunk dropped', (r, i) => (i === 1 ? [] : [r])],
      ['a chunk dropped, and the next one relabelled with its offset', (r, i) => (i === 1 ? [] : i === 2 ? [withOffset(r, 256 * 1024)] : [r])],
      ['a chunk repeated', (r, i) => (i === 1 ? [r, r] : [r])],
      ['a chunk cut short', (r, i) => (i === 2 ? [withData(r, r.subarray(CHUNK_DATA_AT, r.length - 1000))] : [r])],
      ['a chunk extended', (r, i) => (i === 2 ? [withData(r, Buffer.concat([r.subarray(CHUNK_DATA_AT), Buffer.alloc(64)]))] : [r])],
      ['an earlier chunk injected before the last', (r, i, held) => (i === 0 ? (held.push(r), [r]) : r[17]! & CHUNK_FLAG_LAST ? [held[0]!, r] : [r])],
    ];
    for (const [label, tamper] of chunkCases) {
      it(`is caught when it relays ${label}: E2E_CHUNK_REJECTED at the receiver, reported to the sender, no file left`, async () => {
        const held: Buffer[] = [];
        const { ada, bob, path, target } = await tampered({ chunk: (record, index) => tamper(record, index, held) });
        const incoming = nextIncoming(bob.files);
        const sending = ada.files.send(target, path);
        await expectCode((await incoming).done, 'E2E_CHUNK_REJECTED');
        await expectCode(sending.done, 'E2E_CHUNK_REJECTED');
        // The receiver's `done` rejects only once its part file is deleted (IncomingTransfer.abort).
        expect(await listDir(bob.dir)).to.deep.equal([]);
      });
    }

    it('is caught when it swaps in a chunk of another transfer (same sender, same receiver, same offset)', async () => {
      const first: Buffer[] = [];
      let transfers = 0;
      let current = -1;
      const { ada, bob, path, target } = await tampered({
        chunk: (record) => {
          const id = record.readUInt32BE(5);
          if (id !== current) (current = id), transfers++;
          if (transfers === 1) first.push(record);
          return transfers === 2 && record.readUInt32BE(9) === 0 && record.readUInt32BE(13) === 0 ? [withTransfer(first[0]!, id)] : [record];
        },
      }, { room: true });
      const one = nextIncoming(bob.files);
      await ada.files.send(target, path).done;
      await (await one).done;
      const two = nextIncoming(bob.files);
      const sending = ada.files.send(target, path);
      await expectCode((await two).done, 'E2E_CHUNK_REJECTED');
      await expectCode(sending.done, 'E2E_CHUNK_REJECTED');
      expect(await listDir(bob.dir)).to.deep.equal(['target.bin']);
    });

    const offerCases: Array<[string, string, (offer: Record<string, unknown>) => Array<Record<string, unknown>>, boolean]> = [
      ['re-attributes an offer to another sender', 'E2E_SENDER_MISMATCH', (o) => [{ ...o, from: 'cy' }], false],
      ['shrinks the size it announces (a truncated file)', 'E2E_OFFER_MISMATCH', (o) => [{ ...o, size: (o.size as number) - 1 }], false],
      ['grows the size it announces (an extended file)', 'E2E_OFFER_MISMATCH', (o) => [{ ...o, size: (o.size as number) + 1 }], false],
      ['moves a DM offer into a secret room', 'E2E_WRONG_CONTEXT', (o) => [{ type: o.type, transfer: o.transfer, from: o.from, room: 'vault', size: o.size, sealed: o.sealed }], true],
      ['drops the seal and offers the file in clear', 'E2E_REQUIRED', (o) => [{ type: o.type, transfer: o.transfer, from: o.from, to: o.to, size: o.size, name: 'evil.exe', sha256: '0'.repeat(64) }], false],
    ];
    for (const [label, code, rewrite, room] of offerCases) {
      it(`is caught when it ${label}: the receiver declines with ${code}`, async () => {
        const { ada, bob, path } = await tampered({ offer: rewrite }, { room });
        await person('cy');
        const declined = nextDeclined(bob.files);
        const sending = ada.files.send({ to: 'bob' }, path);
        expect(await declined).to.equal(code);
        await expectCode(sending.done, code);
        expect(await listDir(bob.dir)).to.deep.equal([]);
      });
    }

    it('is caught when it replays an offer under another transfer id (E2E_REPLAYED)', async () => {
      const { ada, bob, path } = await tampered({ offer: (o) => [o, { ...o, transfer: (o.transfer as number) + 1000 }] });
      const first = nextIncoming(bob.files);
      const declined = nextDeclined(bob.files);
      await ada.files.send({ to: 'bob' }, path).done;
      expect(await declined).to.equal('E2E_REPLAYED');
      expect(await sameBytes(path, (await (await first).done).path)).to.equal(true);
    });
  });

  it('holds a file from a sender whose key changed (E2E_PEER_KEY_CHANGED, reported loudly) until the user accepts the new key', async () => {
    const ids = await sharedIdentities();
    const ada = await person('ada', ids[0]);
    const bob = await person('bob', ids[1]);
    const path = join(source, 'note.txt');
    await markedFile(path, 4096);
    const first = nextIncoming(bob.files);
    await ada.files.send({ to: 'bob' }, path).done;
    await (await first).done;
    ada.chat.close();
    await disconnected(world, 'ada');
    // Someone else holds the name "ada" now (the reservation lapsed), with another key.
    const impostor = await loginOnceLapsed(() => person('ada', ids[2]));
    const changed = new Promise<string>((resolve) => bob.chat.once('peerKeyChanged', (change) => resolve(change.presented)));
    const declined = nextDeclined(bob.files);
    await expectCode(impostor.files.send({ to: 'bob' }, path).done, 'E2E_PEER_KEY_CHANGED');
    expect(await declined).to.equal('E2E_PEER_KEY_CHANGED');
    expect(await changed).to.equal(ids[2]!.fingerprint);
    expect(await listDir(bob.dir)).to.deep.equal(['note.txt']);
    // Bob compared fingerprints and accepts: the next file comes through.
    expect(bob.chat.acceptPeerKey('ada')).to.equal(true);
    const next = nextIncoming(bob.files);
    await impostor.files.send({ to: 'bob' }, path).done;
    expect((await (await next).done).path).to.equal(join(bob.dir, 'note (1).txt'));
  });

  it('keeps blocks: no sealed file between users who blocked one another, and a secret room leaves them out', async () => {
    const [ada, bob, cy] = [await person('ada'), await person('bob'), await person('cy')];
    await secretRoom('vault', [ada, bob, cy]);
    await bob.chat.block('ada');
    const path = join(source, 'memo.txt');
    await markedFile(path, 2048);
    await expectCode(ada.files.send({ to: 'bob' }, path).done, 'BLOCKED');
    await expectCode(bob.files.send({ to: 'ada' }, path).done, 'BLOCKED');
    let bobOffered = false;
    bob.chat.on('transferEvent', (event) => void (event.type === 'file_offered' && (bobOffered = true)));
    const arriving = nextIncoming(cy.files);
    const sent = await ada.files.send({ room: 'vault' }, path).done;
    expect(sent.received).to.deep.equal(['cy']);
    expect(await sameBytes(path, (await (await arriving).done).path)).to.equal(true);
    expect(bobOffered).to.equal(false);
  });
});
