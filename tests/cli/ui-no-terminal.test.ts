// Plain `parlor` (the UI) without a terminal: a clear error that points to send and tail, a
// non-zero exit, and no escape codes anywhere, rather than a screen drawn into a pipe.

import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PARLOR_BIN } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Runs the UI with stdin and stdout as pipes, stdin left open: a hang would be the timeout. */
function runWithoutTerminal(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = tempDir('ui-no-tty');
  const child = spawn(process.execPath, [PARLOR_BIN, '--server', '127.0.0.1:1', '--config', join(home, 'config'), '--data', join(home, 'data')], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: home, TERM: 'xterm-256color' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((resolve) => child.once('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stdout, stderr });
  }));
}

describe('cli: parlor (the UI) without a terminal', function () {
  this.timeout(30_000);

  it('says it needs a terminal, points to send and tail, exits non-zero, and writes no escape codes', async () => {
    const { code, stdout, stderr } = await runWithoutTerminal();
    expect(code).to.equal(1);
    expect(stderr).to.match(/^parlor: NOT_A_TERMINAL: the chat UI needs a terminal \(stdin and stdout are not terminals\)/);
    expect(stderr).to.contain('parlor send').and.to.contain('parlor tail');
    expect(stdout).to.equal('');
    expect(stderr).not.to.contain('\u001b');
  });

  it('says which one is missing when only stdout is redirected', async function () {
    // script(1) gives the UI a terminal on stdin; its stdout goes to a file.
    if (spawnSync('script', ['--version'], { stdio: 'ignore' }).status !== 0) skipOrFail(this, 'script (util-linux) is not installed');
    const home = tempDir('ui-no-tty-out');
    const out = join(home, 'out');
    const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
    const command = `${quote(process.execPath)} ${quote(PARLOR_BIN)} --server 127.0.0.1:1 --config ${quote(join(home, 'config'))} > ${quote(out)} 2>&1; echo "exit=$?" >> ${quote(out)}`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, HOME: home, TERM: 'xterm-256color' }, timeout: 20_000, stdio: ['pipe', 'ignore', 'ignore'] });
    expect(result.error).to.equal(undefined);
    const written = readFileSync(out, 'utf8');
    expect(written).to.contain('NOT_A_TERMINAL: the chat UI needs a terminal (stdout is not a terminal)');
    expect(written).to.match(/exit=1\s*$/);
    expect(written).not.to.contain('\u001b');
  });
});
