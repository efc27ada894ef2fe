// File transfer in the chat room, in a real terminal (tmux) against a real server child: /file
// and /groupfile arrive byte for byte, an offer over the auto-accept size is asked about, /cancel
// from either side leaves no file, and a hostile file name is shown inert.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ChatClient } from '../../src/client/chat-client.ts';
import { FileTransfers } from '../../src/client/transfers/transfers.ts';
import { waitUntil } from '../helpers/chat-clients.ts';
import { listDir, sameBytes, writeSeededFile } from '../helpers/files.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { PARLOR_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';
import { hasTmux, killTmuxSessions, uiHome, type TmuxUi } from '../helpers/tmux.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const wide = { width: 160, height: 36 };

/** The message pane's text as one line: lines folded under a notice are joined again. */
function paneText(screen: string): string {
  return screen.split('\n').map((line) => line.split('│')[3] ?? '').join(' ').replace(/\s+/g, ' ');
}

/** Waits until the message pane says `what`, however it was folded. */
function waitForText(ui: TmuxUi, what: string | RegExp, timeoutMs?: number): Promise<string> {
  return ui.waitFor((screen) => (typeof what === 'string' ? paneText(screen).includes(what) : what.test(paneText(screen))), timeoutMs).then(paneText);
}
const serve = () => startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);

/** A UI that saves received files in a downloads dir of the test's own. */
async function receiver(server: ServerProcess, name: string, index: number, extra: string[] = []): Promise<{ ui: TmuxUi; downloads: string }> {
  const downloads = join(tempDir(`ui-downloads-${name}`), 'in');
  const ui = await loggedInUi(server, name, index, { ...wide, args: ['--downloads', downloads, ...extra] });
  return { ui, downloads };
}

describe('ui/transfers end-to-end (tmux)', function () {
  this.timeout(30_000);
  const children: ChildProcess[] = [];

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => {
    killTmuxSessions();
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('/file with ~ and spaces arrives byte for byte in the downloads dir; both panes say so; a missing file is a plain error', async () => {
    const server = await serve();
    const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), receiver(server, 'bob', 1)]);
    const source = join(alice.home.home, 'my notes.txt');
    await writeSeededFile(source, 300 * 1024 + 5, 'ui-file');
    alice.line('/file bob ~/my notes.txt');
    let screen = await alice.waitFor('✓ sent to bob');
    expect(screen).to.match(/↑ +\[1\] my notes\.txt · 300\.0 KiB to bob/);
    expect(screen).to.contain('@bob · direct');
    bob.ui.keys('C-n');
    screen = await waitForText(bob.ui, `saved as ${join(bob.downloads, 'my notes.txt')}`);
    expect(screen).to.match(/↓ +\[1\] my notes\.txt · 300\.0 KiB from alice/);
    expect(await sameBytes(source, join(bob.downloads, 'my notes.txt'))).to.equal(true);

    alice.line('/file bob "~/no such file.txt"');
    await waitForText(alice, `FILE_UNREADABLE: cannot send ${join(alice.home.home, 'no such file.txt')}: there is no such file (ENOENT)`);
    alice.line(`/file bob ${alice.home.home}`);
    await waitForText(alice, 'is a directory: give a file');
  });

  it('/groupfile reaches the other UI in the room and a parlor tail --accept-files member', async () => {
    const server = await serve();
    const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), receiver(server, 'bob', 1)]);
    const tailDir = tempDir('ui-tail-downloads');
    const tail = spawn(process.execPath, [PARLOR_BIN, 'tail', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'cy', '--config', uiHome().configDir,
      '--fingerprint', server.fingerprint, '--room', 'lobby', '--json', '--timeout', '30', '--accept-files', tailDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(tail);
    const tailLines: Array<Record<string, unknown>> = [];
    createInterface({ input: tail.stdout! }).on('line', (line) => tailLines.push(JSON.parse(line) as Record<string, unknown>));
    await alice.waitFor('cy joined #lobby');
    const source = join(tempDir('ui-groupfile'), 'slides.pdf');
    await writeSeededFile(source, 1024 * 1024 + 3, 'ui-groupfile');
    alice.line(`/groupfile #lobby '${source}'`);
    const screen = await alice.waitFor('✓ received by');
    expect(screen).to.match(/✓ received by (bob, cy|cy, bob)/);
    expect(screen).to.match(/↑ +\[1\] slides\.pdf · 1\.0 MiB to #lobby/);
    await waitForText(bob.ui, `saved as ${join(bob.downloads, 'slides.pdf')}`);
    expect(await bob.ui.waitFor('from alice in #lobby')).to.contain('#lobby');
    await waitUntil(() => tailLines.some((l) => l.type === 'file'), 'the tail to print the file');
    expect(await sameBytes(source, join(bob.downloads, 'slides.pdf'))).to.equal(true);
    expect(await sameBytes(source, join(tailDir, 'slides.pdf'))).to.equal(true);
  });

  it('an offer over the auto-accept size is asked about: /accept saves it, /decline tells the sender', async () => {
    const server = await serve();
    const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), receiver(server, 'bob', 1, ['--max-auto-accept-bytes', '1000'])]);
    const source = join(tempDir('ui-ask'), 'big.log');
    await writeSeededFile(source, 5000, 'ui-ask');
    alice.line(`/file bob ${source}`);
    await alice.waitFor('waiting for bob to accept');
    let screen = await bob.ui.waitFor('@alice (1)');
    // Nothing is written before the answer.
    expect(await listDir(bob.downloads)).to.deep.equal([]);
    expect(screen).to.contain('files ?1');
    bob.ui.keys('C-n');
    screen = await waitForText(bob.ui, '/accept 1 or /decline 1: it is over your auto-accept size (1000 B)');
    expect(screen).to.match(/↓ +\[1\] big\.log · 4\.9 KiB from alice/);
    bob.ui.line('/accept');
    await waitForText(bob.ui, `saved as ${join(bob.downloads, 'big.log')}`);
    await alice.waitFor('✓ sent to bob');
    expect(await sameBytes(source, join(bob.downloads, 'big.log'))).to.equal(true);

    alice.line(`/file bob ${source}`);
    await bob.ui.waitFor('/accept 2 or /decline 2');
    bob.ui.line('/decline 2');
    await alice.waitFor('✗ bob declined (TRANSFER_DECLINED)');
    screen = await bob.ui.waitFor('✗ TRANSFER_DECLINED');
    expect(screen).not.to.contain('files ?');
    expect(await listDir(bob.downloads)).to.deep.equal(['big.log']);
  });

  it('a hostile file name is shown inert and saved under a safe name', async () => {
    const server = await serve();
    const bob = await receiver(server, 'bob', 1);
    const identities = await sharedIdentities();
    const mallory = await ChatClient.connect({ host: server.host, port: server.port, identity: identities[2]!, name: 'mallory', password: 'pw', configDir: uiHome().configDir, reconnect: false });
    try {
      const source = join(tempDir('ui-hostile'), 'x');
      await writeSeededFile(source, 100, 'ui-hostile');
      const sending = new FileTransfers(mallory).send({ to: 'bob' }, source, { name: '\u202Egnp.exe\u001b[2J\u0007{red-fg}' });
      await sending.done;
      bob.ui.keys('C-n');
      const screen = await waitForText(bob.ui, 'saved as');
      expect(screen).to.contain('[1] <U+202E>gnp.exe^[[2J^G{red-fg} · 100 B from mallory');
      const [saved] = await listDir(bob.downloads);
      expect(saved).to.be.a('string').and.not.match(/[\u0000-\u001f\u202e/]/);
      expect(screen).to.contain(`saved as ${join(bob.downloads, saved!)}`);
    } finally {
      mallory.close();
    }
  });

  describe('/cancel mid-transfer', function () {
    const big = { path: '', dir: '' };
    const SIZE = 200 * 1024 * 1024;

    before(async function () {
      if (!hasTmux()) return;
      big.dir = tempDir('ui-cancel');
      mkdirSync(big.dir, { recursive: true });
      big.path = join(big.dir, 'movie.mkv');
      await writeSeededFile(big.path, SIZE, 'ui-cancel');
    });
    after(() => {
      if (big.dir !== '') rmSync(big.dir, { recursive: true, force: true });
    });

    /**
     * A transfer caught mid-way: `paused` is stopped (SIGSTOP) as soon as the receiver shows
     * progress, so nothing moves until the test lets it go on. No wall-clock race.
     */
    async function underWay(pause: 'alice' | 'bob'): Promise<{ alice: TmuxUi; bob: TmuxUi; downloads: string; resume: () => void }> {
      const server = await serve();
      const [alice, bob] = await Promise.all([loggedInUi(server, 'alice', 0, wide), receiver(server, 'bob', 1)]);
      alice.line(`/file bob ${big.path}`);
      await bob.ui.waitFor('@alice (1)', 15_000);
      bob.ui.keys('C-n');
      const paused = pause === 'alice' ? alice : bob.ui;
      await bob.ui.waitFor(/↓ +\[1\] movie\.mkv[\s\S]*\d+% · /, 15_000);
      const pid = paused.uiPid();
      process.kill(pid, 'SIGSTOP');
      return { alice, bob: bob.ui, downloads: bob.downloads, resume: () => process.kill(pid, 'SIGCONT') };
    }

    it('by the receiver: the pane says no file was kept, nothing is left in downloads, the sender is told', async () => {
      const { alice, bob, downloads, resume } = await underWay('alice');
      expect(await bob.waitFor('files ↓1')).to.contain('/cancel 1');
      bob.line('/cancel');
      await waitForText(bob, '✗ TRANSFER_CANCELLED: you cancelled the transfer · no file was kept');
      expect(await listDir(downloads)).to.deep.equal([]);
      resume();
      await waitForText(alice, /✗ TRANSFER_CANCELLED: /);
      expect(await bob.waitFor((s) => !s.includes('files ↓'))).not.to.contain('files ↓');
    });

    it('by the sender: the receiver drops its part file and says so', async () => {
      const { alice, bob, downloads, resume } = await underWay('bob');
      alice.line('/cancel 1');
      await waitForText(alice, '✗ TRANSFER_CANCELLED: you cancelled the transfer');
      resume();
      await waitForText(bob, /✗ TRANSFER_CANCELLED: .* · no file was kept/);
      await waitUntil(() => readdirSync(downloads).length === 0, 'the part file to go');
    });
  });
});
