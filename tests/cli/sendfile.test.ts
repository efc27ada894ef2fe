// parlor sendfile and parlor tail --accept-files as scripts drive them: child processes against a
// child server.

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { waitUntil } from '../helpers/chat-clients.ts';
import { listDir, sameBytes, writeSeededFile } from '../helpers/files.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { PARLOR_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('cli: parlor sendfile and parlor tail --accept-files', function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let configs: Map<string, string>;
  const tails: ChildProcess[] = [];
  const as = (name: string) => {
    if (!configs.has(name)) configs.set(name, tempDir(`cfg-${name}`));
    return ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', name, '--config', configs.get(name)!, '--fingerprint', server.fingerprint];
  };

  beforeEach(async () => {
    configs = new Map();
    server = await startServerProcess(['--ephemeral', '--password', 'pw']);
  });
  afterEach(() => {
    for (const tail of tails.splice(0)) if (tail.exitCode === null) tail.kill('SIGKILL');
  });

  async function startTail(name: string, extra: string[]): Promise<{ lines: Array<Record<string, unknown>>; stderr: () => string }> {
    const tail = spawn(process.execPath, [PARLOR_BIN, 'tail', ...as(name), '--json', '--timeout', '30', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    tails.push(tail);
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    tail.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: tail.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    await server.waitForEvent((e) => e.event === 'login' && e.name === name);
    return { lines, stderr: () => stderr };
  }

  it('sendfile --to delivers a file to a tail with --accept-files, progress on stderr, exit 0', async () => {
    const downloads = join(tempDir('cli-downloads'), 'incoming');
    const bob = await startTail('bob', ['--accept-files', downloads]);
    const path = join(tempDir('cli-source'), 'data.bin');
    const sha256 = await writeSeededFile(path, 3 * 1024 * 1024 + 7, 'cli');
    const sent = await runParlor(['sendfile', ...as('ada'), '--to', 'bob', '--json', path]);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(JSON.parse(sent.stdout)).to.deep.include({ name: 'data.bin', size: 3 * 1024 * 1024 + 7, sha256, received: ['bob'] });
    expect(sent.stderr).to.match(/parlor: sent 3\.0 MiB of 3\.0 MiB \(100%\)/);
    await waitUntil(() => bob.lines.some((l) => l.type === 'file'), 'the tail to print the file');
    const line = bob.lines.find((l) => l.type === 'file')!;
    expect(line).to.deep.include({ from: 'ada', name: 'data.bin', path: join(downloads, 'data.bin'), sha256 });
    expect(await sameBytes(path, join(downloads, 'data.bin'))).to.equal(true);
  });

  it('sendfile --room reaches the members; a tail without --accept-files declines, and sendfile --to it fails', async () => {
    const downloads = tempDir('cli-room');
    const cy = await startTail('cy', ['--accept-files', downloads, '--room', 'lobby']);
    const dee = await startTail('dee', ['--room', 'lobby']);
    const path = join(tempDir('cli-source'), 'notes.txt');
    await writeSeededFile(path, 1000, 'notes');
    const sent = await runParlor(['sendfile', ...as('ada'), '--room', 'lobby', '--json', path]);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(JSON.parse(sent.stdout)).to.deep.include({ received: ['cy'] });
    expect(sent.stderr).to.include('dee declined');
    await waitUntil(() => cy.lines.some((l) => l.type === 'file'), 'the tail to print the file');
    expect(await listDir(downloads)).to.deep.equal(['notes.txt']);
    await waitUntil(() => dee.stderr().includes('declined notes.txt'), 'the declining tail to say so');

    const refused = await runParlor(['sendfile', ...as('ada'), '--to', 'dee', path]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/parlor: TRANSFER_DECLINED/);
  });

  for (const [label, args, code, exit] of [
    ['neither --to nor --room', [], 'BAD_OPTION', 2],
    ['a file that does not exist', ['--to', 'bob'], 'FILE_UNREADABLE', 1],
  ] as const) {
    it(`sendfile exits ${exit} with ${code} for ${label}`, async () => {
      const result = await runParlor(['sendfile', ...as('ada'), ...args, join(tempDir('none'), 'missing.bin')]);
      expect(result.code, result.stderr).to.equal(exit);
      expect(result.stderr).to.include(`parlor: ${code}`);
    });
  }
});
