// The chat room's file transfers without a terminal: TransferBoard over real clients and an
// in-process server. One line per transfer, changed in place; progress redraws held to five a
// second; the verbs find "the latest" transfer; counts for the status bar.

import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { TransferBoard, type TransferPlace } from '../../src/shared/transfer-board.ts';
import type { TransferLine } from '../../src/ui/transfer-view.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { startWorld, type World } from '../helpers/chat-world.ts';
import { sameBytes, writeSeededFile } from '../helpers/files.ts';
import { tempDir } from '../helpers/temp-dir.ts';

interface Watched {
  board: TransferBoard;
  placed: Array<{ where: TransferPlace; line: TransferLine; attention: boolean }>;
  redraws: number;
  dir: string;
}

describe('ui/transfer-board', function () {
  this.timeout(60_000);
  let world: World;
  const boards: TransferBoard[] = [];

  beforeEach(async () => {
    world = await startWorld();
  });
  afterEach(async () => {
    for (const board of boards.splice(0)) board.detach();
    await world.stop();
  });

  async function person(name: string, maxAutoAcceptBytes?: number): Promise<Watched> {
    const chat = await world.login(name);
    const dir = tempDir(`board-${name}`);
    const placed: Watched['placed'] = [];
    const counter = { redraws: 0 };
    const board = new TransferBoard(chat, { downloadDir: dir, ...(maxAutoAcceptBytes !== undefined && { maxAutoAcceptBytes }) }, {
      place: (where, line, attention) => placed.push({ where, line, attention }),
      redraw: () => counter.redraws++,
    });
    boards.push(board);
    return { board, placed, dir, get redraws() { return counter.redraws; } };
  }

  it('puts one line per transfer in the right conversation and changes it in place; progress redraws stay under five a second', async () => {
    const [ada, bob] = [await person('ada'), await person('bob')];
    const path = join(tempDir('board-src'), 'data.bin');
    await writeSeededFile(path, 24 * 1024 * 1024, 'board');
    const started = performance.now();
    const line = ada.board.send({ to: 'bob' }, path, 24 * 1024 * 1024);
    expect(ada.placed).to.deep.equal([{ where: { with: 'bob' }, line, attention: false }]);
    expect(ada.board.counts()).to.deep.equal({ sending: 1, receiving: 0, asking: 0 });
    await waitUntil(() => line.state === 'done' && bob.placed[0]?.line.state === 'done', 'both lines to end', 30_000);
    const elapsed = performance.now() - started;
    expect(ada.placed).to.have.length(1);
    expect(bob.placed).to.have.length(1);
    const received = bob.placed[0]!;
    expect(received.where).to.deep.equal({ with: 'ada' });
    expect(received.line).to.include({ direction: 'receive', name: 'data.bin', peer: 'ada', savedPath: join(bob.dir, 'data.bin'), bytes: 24 * 1024 * 1024 });
    expect(line.outcomes).to.deep.equal([{ name: 'bob', status: 'received' }]);
    expect(await sameBytes(path, join(bob.dir, 'data.bin'))).to.equal(true);
    // A bound, not a speed: one progress redraw per 200 ms at most, plus one per change of state.
    for (const side of [ada, bob]) expect(side.redraws).to.be.at.most(Math.ceil(elapsed / 200) + 8);
    expect(ada.board.counts()).to.deep.equal({ sending: 0, receiving: 0, asking: 0 });
  });

  it('asks about an offer over the limit (with attention) and answers the latest with /accept or /decline', async () => {
    const [ada, bob] = [await person('ada'), await person('bob', 10)];
    const path = join(tempDir('board-src'), 'notes.txt');
    await writeSeededFile(path, 100, 'ask');
    expect(await bob.board.accept()).to.equal('no file waits for an answer');
    const first = ada.board.send({ to: 'bob' }, path, 100);
    await waitUntil(() => bob.placed.length === 1, 'the offer');
    expect(bob.placed[0]).to.deep.include({ attention: true });
    expect(bob.placed[0]!.line).to.include({ state: 'asking', limit: 10, id: 1 });
    expect(bob.board.counts()).to.deep.equal({ sending: 0, receiving: 0, asking: 1 });
    expect(await bob.board.decline(7)).to.equal('no file [7] waits for an answer');
    expect(await bob.board.accept()).to.equal(undefined);
    await waitUntil(() => first.state === 'done', 'the sender to finish');
    const second = ada.board.send({ to: 'bob' }, path, 100);
    await waitUntil(() => bob.placed.length === 2, 'the second offer');
    expect(await bob.board.decline()).to.equal(undefined);
    await waitUntil(() => second.state === 'failed', 'the sender to hear');
    expect(second.error?.code).to.equal('TRANSFER_DECLINED');
    expect(bob.placed[1]!.line.state).to.equal('failed');
    expect(readdirSync(bob.dir)).to.deep.equal(['notes.txt']);
  });

  it('/cancel without a number stops the latest; a cancelled receive leaves no file', async () => {
    const [ada, bob] = [await person('ada'), await person('bob')];
    const path = join(tempDir('board-src'), 'big.bin');
    await writeSeededFile(path, 64 * 1024 * 1024, 'cancel');
    const line = ada.board.send({ to: 'bob' }, path, 64 * 1024 * 1024);
    await waitUntil(() => (bob.placed[0]?.line.bytes ?? 0) > 0, 'the receiver to write', 20_000);
    expect(await bob.board.cancel()).to.equal(undefined);
    expect(bob.placed[0]!.line).to.deep.include({ state: 'failed', error: { code: 'TRANSFER_CANCELLED', message: 'you cancelled the transfer' } });
    expect(readdirSync(bob.dir)).to.deep.equal([]);
    await waitUntil(() => line.state === 'failed', 'the sender to hear');
    expect(await bob.board.cancel()).to.equal('no file transfer is under way');
  });
});
