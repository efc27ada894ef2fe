// The default engine against work that would not stop by itself: endless loops inside one command
// (killed at the deadline while the event loop keeps turning), fork and process bombs, output and
// memory floods, a full virtual disk, too many runs at once, and close() with runs in flight.

import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { ParlorError } from '../../../src/protocol/errors.ts';
import { ShellSandbox } from '../../../src/commands/shell/sandbox.ts';
import { ticksDuring, waitFor } from './witnesses.ts';

/** Takes the promise's outcome at once (so that its rejection is handled), checks it when awaited. */
function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  const outcome = promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  return outcome.then((error) => {
    expect(error, `expected ${code}`).to.be.instanceOf(ParlorError);
    expect((error as ParlorError).code).to.equal(code);
  });
}

describe('!shell sandbox (just-bash): limits', () => {
  const open: ShellSandbox[] = [];
  async function sandbox(limits: Parameters<typeof ShellSandbox.create>[0] = {}): Promise<ShellSandbox> {
    const made = await ShellSandbox.create(limits);
    open.push(made);
    return made;
  }
  afterEach(async () => {
    await Promise.all(open.splice(0).map((made) => made.close()));
  });

  it("stops endless loops by just-bash's own limits with the default limits", async () => {
    const shell = await sandbox();
    for (const loop of ['while true; do :; done', `awk 'BEGIN { while (1) {} }'`, `echo x | sed ':a; ba'`, 'f() { f; }; f']) {
      const result = await shell.run('alice', loop);
      expect(result.exitCode, loop).to.equal(126);
      expect(result.timedOut, loop).to.equal(false);
    }
  });

  it('kills a loop that runs on inside one command at the deadline; the event loop keeps turning; the next command works', async () => {
    // Limits so high that only the deadline can stop these.
    const shell = await sandbox({ limits: { timeoutMs: 1000, maxLoopIterations: 1e9, maxCommands: 1e9 } });
    for (const loop of ['while true; do :; done', `awk 'BEGIN { while (1) {} }'`, `echo x | sed ':a; ba'`]) {
      const { result, ticks } = await ticksDuring(shell.run('alice', loop));
      expect(result, loop).to.include({ timedOut: true, exitCode: 124, output: '' });
      expect(ticks, `interval ticks while ${loop} spun`).to.be.greaterThan(0);
      expect(await shell.run('alice', 'echo still here'), loop).to.include({ output: 'still here\n', exitCode: 0 });
    }
  });

  it('survives fork and process bombs', async () => {
    const shell = await sandbox({ limits: { timeoutMs: 1500 } });
    for (const bomb of [':(){ :|:& };:', 'for i in $(seq 1 5000); do sleep 100 & done; wait', 'bomb() { bomb & bomb & }; bomb; wait']) {
      const result = await shell.run('alice', bomb);
      expect(result.exitCode, bomb).not.to.equal(0);
      expect(await shell.run('alice', 'echo ok'), bomb).to.include({ output: 'ok\n' });
    }
  });

  it('caps output floods and says so', async () => {
    const shell = await sandbox({ limits: { maxOutputBytes: 1000, maxDiskBytes: 16 * 1024 } });
    // The first two pass just-bash's own cap (past the disk's size), the last only the sandbox's.
    for (const flood of ['seq 1 9000', 'while true; do echo yyyyyyyyyyyyyyyyyyy; done', 'seq 1 2000']) {
      const result = await shell.run('alice', flood);
      expect(Buffer.byteLength(result.output), flood).to.be.at.most(1000);
      expect(result.truncated, flood).to.equal(true);
    }
    const small = await shell.run('alice', `printf '%0800d' 0; printf 'é%.0s' {1..200}`);
    expect(small.truncated).to.equal(true);
    expect(Buffer.byteLength(small.output)).to.be.at.most(1000);
    expect(small.output).to.match(/^0{800}(é)+$/); // cut on a character boundary
  });

  it('ends a memory flood without harm to the server', async () => {
    const shell = await sandbox({ limits: { memoryMb: 64, timeoutMs: 3000, maxLoopIterations: 1e6, maxCommands: 1e6 } });
    const floods = [
      'x=$(printf "%01000d" 0); for i in $(seq 1 13); do x="$x$x"; done; for i in $(seq 1 200); do a[$i]="$x$i"; done',
      'x=a; while true; do x="$x$x"; done',
      `awk 'BEGIN { s = sprintf("%100000s", ""); for (i = 0; ; i++) a[i] = s i }'`,
    ];
    for (const flood of floods) {
      const result = await shell.run('alice', flood);
      expect(result.exitCode, flood).not.to.equal(0);
      // The first one is within just-bash's own limits per string: only the worker's heap cap stops it.
      if (flood === floods[0]) expect(result).to.include({ exitCode: 137, output: 'shell: out of memory (limit 64 MiB)\n' });
      expect(await shell.run('alice', 'echo ok'), flood).to.include({ output: 'ok\n' });
    }
  });

  it("reports a full virtual disk, keeps the home at its cap, and leaves other users' homes alone", async () => {
    const shell = await sandbox({ limits: { maxDiskBytes: 64 * 1024, maxLoopIterations: 1000 } });
    await shell.run('bob', 'echo safe > keep');
    const fill = await shell.run('alice', 's=$(printf "%01000d" 0); for i in $(seq 1 200); do echo $s >> fill; done');
    expect(fill.output).to.match(/ENOSPC/);
    // The cap covers the whole virtual fs: the home, /tmp, and just-bash's small layout (under 16 KiB).
    const size = await shell.run('alice', 'wc -c < fill');
    expect(Number(size.output.trim())).to.be.within(60 * 1024, 80 * 1024);
    expect((await shell.run('bob', 'cat keep; echo more > other && cat other')).output).to.equal('safe\nmore\n');
    expect((await shell.run('alice', 'rm fill; echo room > again; cat again')).output).to.equal('room\n');
  });

  it('keeps the home as it was before a run that was killed', async () => {
    const shell = await sandbox({ limits: { timeoutMs: 1000, maxLoopIterations: 1e9, maxCommands: 1e9 } });
    await shell.run('alice', 'echo v1 > f');
    const killed = await shell.run('alice', 'echo v2 > f; rm -f other; while true; do :; done');
    expect(killed.timedOut).to.equal(true);
    expect((await shell.run('alice', 'cat f')).output).to.equal('v1\n');
  });

  it('refuses a run past maxConcurrent, and a second run of the same user, with COMMAND_BUSY', async () => {
    const shell = await sandbox({ limits: { timeoutMs: 3000, maxConcurrent: 2 } });
    const first = expectCode(shell.run('alice', 'sleep 2'), 'COMMAND_FAILED');
    const second = expectCode(shell.run('bob', 'sleep 2'), 'COMMAND_FAILED');
    await expectCode(shell.run('carol', 'echo hi'), 'COMMAND_BUSY');
    await expectCode(shell.run('alice', 'echo hi'), 'COMMAND_BUSY');
    expect(shell.active).to.equal(2);
    await shell.close();
    await first;
    await second;
    expect(shell.active).to.equal(0);
    await expectCode(shell.run('carol', 'echo hi'), 'COMMAND_FAILED');
  });

  it('close() ends the worker threads of runs in flight', async function () {
    const tasks = '/proc/self/task';
    let threads: () => number;
    try {
      threads = () => readdirSync(tasks).length;
      threads();
    } catch {
      this.skip(); // not Linux: no /proc to count threads with
    }
    const shell = await sandbox({ limits: { timeoutMs: 5000 } });
    await shell.run('alice', 'echo warm'); // the first run starts Node's own helper threads too
    const before = threads();
    const running = expectCode(shell.run('alice', 'sleep 4'), 'COMMAND_FAILED');
    await waitFor(() => threads() > before);
    await shell.close();
    await running;
    await waitFor(() => threads() <= before);
  });

  it('refuses a command with a NUL character with BAD_ARGUMENTS', async () => {
    const shell = await sandbox();
    await expectCode(shell.run('alice', 'echo a\0b'), 'BAD_ARGUMENTS');
    expect(await shell.run('alice', 'echo fine')).to.include({ output: 'fine\n' });
  });

  it('rejects limits that are not positive integers', async () => {
    await expectCode(ShellSandbox.create({ limits: { timeoutMs: 0 } }), 'BAD_OPTION');
    await expectCode(ShellSandbox.create({ limits: { maxOutputBytes: 1.5 } }), 'BAD_OPTION');
  });
});
