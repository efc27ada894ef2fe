// The bot as a script drives it: `parlor send '!...'` against a `parlor serve` child with plugins,
// its own cats and a local stand-in for Wikipedia.

import { expect } from 'chai';
import { copyFileSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import sharp from 'sharp';
import { ChatClient } from '../../src/client/chat-client.ts';
import { DEFAULT_CATS_DIR } from '../../src/commands/meow.ts';
import { collect, settle } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('cli: bot commands through parlor send', () => {
  let server: ServerProcess;
  let wikipedia: Server;
  const dataDir = tempDir('client-data');
  /** One config dir (so one identity) per person, as on their own machine. */
  const configs = new Map<string, string>();
  const as = (name: string) => {
    if (!configs.has(name)) configs.set(name, tempDir(`cfg-${name}`));
    return ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', name, '--config', configs.get(name)!, '--fingerprint', server.fingerprint, '--data', dataDir];
  };

  before(async () => {
    wikipedia = createServer((_request, response) => response.writeHead(302, { Location: '/wiki/Grace_Hopper' }).end());
    await new Promise<void>((resolve) => wikipedia.listen(0, '127.0.0.1', resolve));
  });

  // A server for each test: the root hook ends every server child after each test.
  beforeEach(async () => {
    const plugins = tempDir('plugins');
    writeFileSync(
      join(plugins, 'shout.mjs'),
      `export default { name: 'shout', summary: 'louder', usage: '!shout TEXT', permission: 'everyone', cooldownMs: 0, timeoutMs: 1000, maxOutputBytes: 256, run: (_c, args) => ({ kind: 'text', text: args.toUpperCase() }) };`,
    );
    // TypeScript (a type annotation node cannot run as it is): the compiled server loads it through tsx.
    writeFileSync(
      join(plugins, 'whisper.ts'),
      `const whisper: { name: string; [field: string]: unknown } = { name: 'whisper', summary: 'softer', usage: '!whisper TEXT', permission: 'everyone', cooldownMs: 0, timeoutMs: 1000, maxOutputBytes: 256, run: (_c: unknown, args: string) => ({ kind: 'text', text: args.toLowerCase() }) };\nexport default whisper;`,
    );
    writeFileSync(join(plugins, 'broken.mjs'), 'export default {{ this is not javascript');
    const cats = tempDir('cats');
    copyFileSync(join(DEFAULT_CATS_DIR, 'sleepy-grey.jpg'), join(cats, 'only-cat.jpg'));
    server = await startServerProcess([
      '--ephemeral',
      '--password', 'pw',
      '--operator-password', 'op-pw',
      '--plugins', plugins,
      '--cats', cats,
      '--wikipedia-url', `http://127.0.0.1:${(wikipedia.address() as AddressInfo).port}`,
    ]);
  });

  after(() => {
    wikipedia.closeAllConnections();
    wikipedia.close();
  });

  it('reports a broken plugin at start and runs without it', async () => {
    const skipped = await server.waitForEvent((event) => event.event === 'plugin_skipped');
    expect(skipped).to.include({ source: 'plugin broken.mjs' });
    expect(String(skipped.problem)).to.match(/failed to load/);
  });

  it("prints !echo's reply, and another client in the room receives nothing", async () => {
    const [identity] = await sharedIdentities();
    const bob = await ChatClient.connect({ host: '127.0.0.1', port: server.port, identity: identity!, configDir: tempDir('bob'), fingerprint: server.fingerprint, name: 'bob', password: 'pw', reconnect: false });
    try {
      await bob.join('lobby');
      const seen = collect(bob);
      const result = await runParlor(['send', ...as('ada'), '!echo', 'hi']);
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stdout).to.equal('hi\n');
      await settle(bob);
      expect(seen).to.deep.equal([]);
    } finally {
      bob.close();
    }
  });

  it('runs !shell in a sandbox with a home that stays between commands', async () => {
    const first = await runParlor(['send', ...as('ada'), '!shell echo kept > note; pwd']);
    expect(first.code, first.stderr).to.equal(0);
    expect(first.stdout).to.equal('/home/user\n');
    // Asked again while !shell's per-user cooldown (1 s) lasts: each try is a whole `parlor send`.
    const again = () => runParlor(['send', ...as('ada'), '!shell cat note; cat /etc/passwd']);
    let second = await again();
    for (let tries = 0; tries < 20 && second.stderr.includes('COMMAND_COOLDOWN'); tries++) second = await again();
    expect(second.stdout).to.equal('kept\ncat: /etc/passwd: No such file or directory\n(exit status 1)\n');
  });

  it('runs a plugin command, and exits 1 with the code for an unknown one', async () => {
    expect((await runParlor(['send', ...as('ada'), '!shout hey'])).stdout).to.equal('HEY\n');
    expect((await runParlor(['send', ...as('ada'), '!whisper HUSH'])).stdout).to.equal('hush\n');
    const unknown = await runParlor(['send', ...as('ada'), '!nosuch']);
    expect(unknown.code).to.equal(1);
    expect(unknown.stderr).to.match(/^parlor: UNKNOWN_COMMAND: /);
  });

  it('saves a !meow picture under receivedcats/ in the data dir and prints where', async () => {
    const result = await runParlor(['send', ...as('ada'), '!meow']);
    expect(result.code, result.stderr).to.equal(0);
    const path = /^picture saved: (.+)$/m.exec(result.stdout)?.[1];
    expect(path, result.stdout).to.be.a('string');
    expect(path!.startsWith(join(dataDir, 'receivedcats', 'only-cat-'))).to.equal(true);
    expect(existsSync(path!)).to.equal(true);
    expect((await sharp(path!).metadata()).format).to.equal('jpeg');
    // A second one (by another user: !meow has a per-user cooldown) never overwrites the first.
    await runParlor(['send', ...as('bea'), '!meow']).then((second) => expect(second.code, second.stderr).to.equal(0));
    expect(readdirSync(join(dataDir, 'receivedcats'))).to.have.length(2);
  });

  it('prints the !enlightenme link with --no-open', async () => {
    const result = await runParlor(['send', ...as('ada'), '--no-open', '--json', '!enlightenme']);
    expect(result.code, result.stderr).to.equal(0);
    const printed = JSON.parse(result.stdout) as { command: string; reply: { kind: string; url: string; text: string; opened: boolean } };
    expect(printed.command).to.equal('enlightenme');
    expect(printed.reply).to.deep.include({ kind: 'link', text: 'Grace Hopper', opened: false });
    expect(printed.reply.url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/wiki\/Grace_Hopper$/);
  });

  it('--op makes the caller an operator for !announce; a wrong one is BAD_PASSWORD', async () => {
    // Without --op: NOT_OPERATOR, pointing to the CLI's own way (--op), not to the UI's /op.
    const notOperator = await runParlor(['send', ...as('ada'), '!announce', 'hi']);
    expect(notOperator.code).to.equal(1);
    expect(notOperator.stderr).to.match(/^parlor: NOT_OPERATOR: /).and.include('--op PASSWORD').and.not.include('/op');
    const wrong = await runParlor(['send', ...as('ada'), '--op', 'guess', '!announce', 'hi']);
    expect(wrong.stderr).to.match(/^parlor: BAD_PASSWORD: /);
    const result = await runParlor(['send', ...as('ada'), '--op', 'op-pw', '!announce', 'lunch']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('announced to 1 person\n');
  });

  it('!quit with the operator password stops the server process cleanly', async () => {
    const wrong = await runParlor(['send', ...as('ada'), '!quit', 'guess']);
    expect(wrong.stderr).to.match(/^parlor: BAD_PASSWORD: /);
    const result = await runParlor(['send', ...as('ada'), '!quit', 'op-pw']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('the server is stopping\n');
    expect(await server.exited).to.equal(0);
    expect(server.events.map((e) => e.event)).to.include.members(['stopping', 'stopped']);
  });
});
