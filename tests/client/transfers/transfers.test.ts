// File transfer through the client library and an in-process server: sizes at the edges and a big
// one, to a user and to a room, names a hostile sender chose, cancels from either side, chat during
// a transfer, blocks, and the limits on both sides.

import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ChatClient } from '../../../src/client/chat-client.ts';
import { FileTransfers, type IncomingTransfer } from '../../../src/client/transfers/transfers.ts';
import { CHUNK_MAX_BYTES, RECORD_KIND_CHUNK } from '../../../src/protocol/constants.ts';
import { CHUNK_FLAG_DEFLATED, CHUNK_FLAG_SEALED, decodeChunkBody } from '../../../src/protocol/transfer-records.ts';
import { CHUNK_TAG_BYTES } from '../../../src/crypto/file-chunks.ts';
import { disconnected, expectCode, startWorld, type World } from '../../helpers/chat-world.ts';
import { listDir, sameBytes, writeSeededFile } from '../../helpers/files.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const MiB = 1024 * 1024;

/** The next offer a receiver accepts, automatically or by answer. */
function nextIncoming(files: FileTransfers): Promise<IncomingTransfer> {
  return new Promise((resolve) => files.once('incoming', resolve));
}

describe('client/transfers: sending and receiving files', function () {
  this.timeout(120_000);
  let world: World;
  let source: string;

  beforeEach(async () => {
    world = await startWorld();
    source = tempDir('transfer-source');
  });
  afterEach(async () => {
    await world.stop();
    await rm(source, { recursive: true, force: true });
  });

  async function person(name: string, options: { downloads?: boolean; maxAutoAcceptBytes?: number } = {}): Promise<{ chat: ChatClient; files: FileTransfers; dir: string }> {
    const chat = await world.login(name);
    const dir = tempDir(`downloads-${name}`);
    const files = new FileTransfers(chat, {
      ...(options.downloads !== false && { downloadDir: dir }),
      ...(options.maxAutoAcceptBytes !== undefined && { maxAutoAcceptBytes: options.maxAutoAcceptBytes }),
    });
    return { chat, files, dir };
  }

  for (const size of [0, 1, CHUNK_MAX_BYTES]) {
    it(`sends a ${size}-byte file to a user, byte for byte, under its own name`, async () => {
      const ada = await person('ada');
      const bob = await person('bob');
      const path = join(source, `edge-${size}.bin`);
      const sha256 = await writeSeededFile(path, size, `edge ${size}`);
      const incoming = nextIncoming(bob.files);
      const sent = await ada.files.send({ to: 'bob' }, path).done;
      expect(sent).to.include({ size, sha256, name: `edge-${size}.bin` });
      expect(sent.received).to.deep.equal(['bob']);
      const got = await (await incoming).done;
      expect(got).to.include({ from: 'ada', size, sha256 });
      expect(got.path).to.equal(join(bob.dir, `edge-${size}.bin`));
      expect(await sameBytes(path, got.path)).to.equal(true);
      expect(await listDir(bob.dir)).to.deep.equal([`edge-${size}.bin`]);
    });
  }

  it('sends 200 MiB to a user while chat keeps flowing both ways, with progress on both sides', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    await ada.chat.join('lobby');
    await bob.chat.join('lobby');
    const path = join(source, 'big.bin');
    await writeSeededFile(path, 200 * MiB, 'two hundred');
    const incoming = nextIncoming(bob.files);
    const sending = ada.files.send({ to: 'bob' }, path);
    const sendProgress: number[] = [];
    sending.on('progress', (p) => sendProgress.push(p.bytes));
    const receiving = await incoming;
    const receiveProgress: Array<{ bytes: number; rate: number }> = [];
    receiving.on('progress', (p) => receiveProgress.push(p));

    // Once bytes are moving, messages go both ways and arrive while the file is still under way.
    while (receiveProgress.length === 0 || receiveProgress.at(-1)!.bytes === 0) await new Promise((r) => setTimeout(r, 5));
    const heard = new Promise<number>((resolve) => bob.chat.once('message', () => resolve(receiveProgress.at(-1)!.bytes)));
    const answered = new Promise<number>((resolve) => ada.chat.once('message', () => resolve(sendProgress.at(-1)!)));
    await ada.chat.say('lobby', 'still here?');
    await bob.chat.say('lobby', 'yes');
    expect(await heard, 'bob heard ada before the file was complete').to.be.below(200 * MiB);
    expect(await answered, 'ada heard bob before she had sent it all').to.be.below(200 * MiB);

    const [sent, got] = await Promise.all([sending.done, receiving.done]);
    expect(sent.received).to.deep.equal(['bob']);
    expect(await sameBytes(path, got.path)).to.equal(true);
    expect(sendProgress.at(-1)).to.equal(200 * MiB);
    expect(receiveProgress.at(-1)!.bytes).to.equal(200 * MiB);
    expect(receiveProgress.some((p) => p.rate > 0)).to.equal(true);
    await rm(got.path);
  });

  for (const size of [0, 1, CHUNK_MAX_BYTES, 200 * MiB]) {
    it(`sends a ${size}-byte file to a room of three: each other member gets it, byte for byte`, async () => {
      const people = [await person('ada'), await person('bob'), await person('cy')];
      await people[0]!.chat.create('crew');
      for (const p of people.slice(1)) await p.chat.join('crew');
      const path = join(source, 'room.bin');
      await writeSeededFile(path, size, `room ${size}`);
      const incoming = people.slice(1).map((p) => nextIncoming(p.files));
      const sent = await people[0]!.files.send({ room: 'crew' }, path).done;
      expect(sent.received.sort()).to.deep.equal(['bob', 'cy']);
      expect(sent.missed).to.deep.equal([]);
      for (const transfer of await Promise.all(incoming)) {
        const got = await transfer.done;
        expect(await sameBytes(path, got.path)).to.equal(true);
        await rm(got.path);
      }
    });
  }

  it('saves files with hostile names inside the downloads dir under safe names, never overwriting', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const path = join(source, 'payload.txt');
    writeFileSync(path, 'not what you think');
    const cases: Array<[string, string]> = [
      ['../../etc/passwd', '_.._etc_passwd'],
      ['..', 'file'],
      ['\u202Egnp.exe', 'gnp.exe'],
      ['.bashrc', 'bashrc'],
      ['a'.repeat(1000), 'a'.repeat(200)],
      ['report.pdf', 'report.pdf'],
      ['report.pdf', 'report (1).pdf'],
      ['report.pdf', 'report (2).pdf'],
    ];
    for (const [offered, saved] of cases) {
      const incoming = nextIncoming(bob.files);
      await ada.files.send({ to: 'bob' }, path, { name: offered }).done;
      const got = await (await incoming).done;
      expect(dirname(got.path), `saved "${offered}" outside the downloads dir`).to.equal(bob.dir);
      expect(basename(got.path)).to.equal(saved);
    }
    expect((await listDir(bob.dir)).filter((name) => name.startsWith('.'))).to.deep.equal([]);
  });

  it('a transfer cancelled by the sender leaves no partial file; one cancelled by the receiver fails the sender', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const path = join(source, 'cancel.bin');
    await writeSeededFile(path, 64 * MiB, 'cancel');

    const incoming = nextIncoming(bob.files);
    const sending = ada.files.send({ to: 'bob' }, path);
    const receiving = await incoming;
    await new Promise<void>((resolve) => receiving.on('progress', (p) => p.bytes > 0 && resolve()));
    sending.cancel();
    await expectCode(sending.done, 'TRANSFER_CANCELLED');
    await expectCode(receiving.done, 'TRANSFER_CANCELLED');
    expect(await listDir(bob.dir)).to.deep.equal([]);

    const again = nextIncoming(bob.files);
    const second = ada.files.send({ to: 'bob' }, path);
    const receivingAgain = await again;
    await new Promise<void>((resolve) => receivingAgain.on('progress', (p) => p.bytes > 0 && resolve()));
    await receivingAgain.cancel();
    await expectCode(receivingAgain.done, 'TRANSFER_CANCELLED');
    await expectCode(second.done, 'TRANSFER_CANCELLED');
    expect(await listDir(bob.dir)).to.deep.equal([]);
  });

  it('blocked users cannot send each other files, and a room transfer leaves out whoever is blocked', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const cy = await person('cy');
    await bob.chat.block('ada');
    const path = join(source, 'note.txt');
    writeFileSync(path, 'hello');
    await expectCode(ada.files.send({ to: 'bob' }, path).done, 'BLOCKED');
    await expectCode(bob.files.send({ to: 'ada' }, path).done, 'BLOCKED');

    await ada.chat.create('mixed');
    await bob.chat.join('mixed');
    await cy.chat.join('mixed');
    let bobOffered = false;
    bob.chat.on('transferEvent', (event) => void (event.type === 'file_offered' && (bobOffered = true)));
    const sent = await ada.files.send({ room: 'mixed' }, path).done;
    expect(sent.received).to.deep.equal(['cy']);
    expect(bobOffered).to.equal(false);
  });

  it('a block mid-transfer stops it, whichever side blocks: BLOCKED on both sides, no partial file, the room transfer goes on for the rest', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const cy = await person('cy');
    const path = join(source, 'blocked.bin');
    const sha256 = await writeSeededFile(path, 96 * MiB, 'blocked mid-way');

    // The receiver blocks the sender.
    let incoming = nextIncoming(bob.files);
    let sending = ada.files.send({ to: 'bob' }, path);
    let receiving = await incoming;
    await new Promise<void>((resolve) => receiving.on('progress', (p) => p.bytes > 0 && resolve()));
    await bob.chat.block('ada');
    await expectCode(receiving.done, 'BLOCKED');
    await expectCode(sending.done, 'BLOCKED');
    expect(await listDir(bob.dir)).to.deep.equal([]);
    await bob.chat.unblock('ada');

    // The sender blocks the receiver.
    incoming = nextIncoming(bob.files);
    sending = ada.files.send({ to: 'bob' }, path);
    receiving = await incoming;
    await new Promise<void>((resolve) => receiving.on('progress', (p) => p.bytes > 0 && resolve()));
    await ada.chat.block('bob');
    await expectCode(receiving.done, 'BLOCKED');
    await expectCode(sending.done, 'BLOCKED');
    expect(await listDir(bob.dir)).to.deep.equal([]);
    await ada.chat.unblock('bob');

    // In a room, only the blocked pair's part stops.
    await ada.chat.create('pair');
    await bob.chat.join('pair');
    await cy.chat.join('pair');
    const bobGets = nextIncoming(bob.files);
    const cyGets = nextIncoming(cy.files);
    const toRoom = ada.files.send({ room: 'pair' }, path);
    const bobReceiving = await bobGets;
    await new Promise<void>((resolve) => bobReceiving.on('progress', (p) => p.bytes > 0 && resolve()));
    await bob.chat.block('ada');
    await expectCode(bobReceiving.done, 'BLOCKED');
    const sent = await toRoom.done;
    expect(sent.received).to.deep.equal(['cy']);
    const got = await (await cyGets).done;
    expect(got.sha256).to.equal(sha256);
    expect(await sameBytes(path, got.path)).to.equal(true);
    expect(await listDir(bob.dir)).to.deep.equal([]);
  });

  it('declines without a downloads dir, and over the auto-accept size unless someone answers the offer', async () => {
    const ada = await person('ada');
    const nodir = await person('dee', { downloads: false });
    const small = await person('eve', { maxAutoAcceptBytes: 10 });
    const path = join(source, 'hundred.bin');
    await writeSeededFile(path, 100, 'hundred');
    await expectCode(ada.files.send({ to: 'dee' }, path).done, 'TRANSFER_DECLINED');
    expect(await listDir(nodir.dir)).to.deep.equal([]);
    await expectCode(ada.files.send({ to: 'eve' }, path).done, 'TRANSFER_TOO_LARGE');

    small.files.once('offer', (offer) => {
      expect(offer).to.include({ from: 'ada', size: 100, offeredName: 'hundred.bin' });
      void offer.accept();
    });
    const incoming = nextIncoming(small.files);
    await ada.files.send({ to: 'eve' }, path).done;
    expect(await sameBytes(path, (await (await incoming).done).path)).to.equal(true);
  });

  it('deflates chunks that compress and sends incompressible ones as they are', async () => {
    const ada = await person('ada');
    const bob = await person('bob');
    const textPath = join(source, 'server.log');
    const lines = Array.from({ length: 60_000 }, (_, i) => `2024-05-01T12:00:${String(i % 60).padStart(2, '0')} INFO request ${i} served in ${i % 97} ms`);
    writeFileSync(textPath, lines.join('\n'));
    const randomPath = join(source, 'random.bin');
    await writeSeededFile(randomPath, 4 * MiB, 'random');
    for (const [path, expectDeflated] of [[textPath, true], [randomPath, false]] as const) {
      let wire = 0;
      let deflated = 0;
      const count = (record: { kind: number; body: Buffer }) => {
        if (record.kind !== RECORD_KIND_CHUNK) return;
        const chunk = decodeChunkBody(record.body);
        // A file to a user travels sealed: each chunk carries a 16-byte tag besides its payload.
        expect(chunk.flags & CHUNK_FLAG_SEALED).to.equal(CHUNK_FLAG_SEALED);
        wire += chunk.data.length - CHUNK_TAG_BYTES;
        if (chunk.flags & CHUNK_FLAG_DEFLATED) deflated++;
      };
      bob.chat.on('transferRecord', count);
      const incoming = nextIncoming(bob.files);
      const sent = await ada.files.send({ to: 'bob' }, path).done;
      const got = await (await incoming).done;
      bob.chat.off('transferRecord', count);
      expect(await sameBytes(path, got.path)).to.equal(true);
      if (expectDeflated) {
        expect(deflated).to.be.greaterThan(0);
        expect(wire).to.be.below(sent.size * 0.5);
      } else {
        expect(deflated).to.equal(0);
        expect(wire).to.equal(sent.size);
      }
    }
  });

  it('reports a file it cannot read as FILE_UNREADABLE, and a user who is offline as USER_OFFLINE', async () => {
    const ada = await person('ada');
    await expectCode(ada.files.send({ to: 'bob' }, join(source, 'missing')).done, 'FILE_UNREADABLE');
    const path = join(source, 'x.txt');
    writeFileSync(path, 'x');
    const bob = await person('bob');
    bob.chat.close();
    await disconnected(world, 'bob');
    await expectCode(ada.files.send({ to: 'bob' }, path).done, 'USER_OFFLINE');
    await expectCode(ada.files.send({ to: 'nobody' }, path).done, 'USER_NOT_FOUND');
  });
});

describe('client/transfers: server limits', function () {
  this.timeout(60_000);

  it('refuses a file over --max-transfer-bytes and more transfers at once than --max-transfers-per-user', async () => {
    const world = await startWorld({ maxTransferBytes: 1000, maxTransfersPerUser: 1 });
    try {
      const source = tempDir('limits-source');
      const ada = new FileTransfers(await world.login('ada'));
      const bobChat = await world.login('bob');
      await world.login('cy');
      // Bob asks about every offer and answers none: the first transfer stays open.
      const bob = new FileTransfers(bobChat, { downloadDir: tempDir('bob'), maxAutoAcceptBytes: 0 });
      const offered = new Promise<IncomingTransfer>((resolve) => bob.once('offer', resolve));
      const big = join(source, 'big.bin');
      await writeSeededFile(big, 1001, 'big');
      await expectCode(ada.send({ to: 'bob' }, big).done, 'TRANSFER_TOO_LARGE');
      const small = join(source, 'small.bin');
      await writeSeededFile(small, 10, 'small');
      const first = ada.send({ to: 'bob' }, small);
      const pending = await offered;
      await expectCode(ada.send({ to: 'cy' }, small).done, 'TOO_MANY_TRANSFERS');
      await pending.decline();
      await expectCode(first.done, 'TRANSFER_DECLINED');
    } finally {
      await world.stop();
    }
  });
});
