import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBot } from '../../src/commands/builtins.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { caller, recordingActions } from './helpers.ts';

const GOOD = `export default {
  name: 'shout', summary: 'says it louder', usage: '!shout TEXT', permission: 'everyone',
  cooldownMs: 0, timeoutMs: 1000, maxOutputBytes: 1024,
  run: (_context, args) => ({ kind: 'text', text: args.toUpperCase() }),
};`;

function pluginDir(files: Record<string, string>): string {
  const dir = tempDir('plugins');
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The plugin the README shows under "Writing a plugin", as a reader would copy it. */
function readmePlugin(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const match = /### Writing a plugin[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme);
  expect(match, 'the README shows a plugin').to.not.equal(null);
  return match![1]!;
}

/** A folder with no package.json anywhere above it that could say "type": "module". */
function bareFolder(): string {
  const dir = tempDir('plugins');
  for (let at = dir; at !== dirname(at); at = dirname(at)) expect(existsSync(join(at, 'package.json')), at).to.equal(false);
  return dir;
}

describe('commands/plugins', () => {
  it("loads the README's example and examples/plugins/roll.ts copied to a folder with no package.json", async () => {
    const dir = bareFolder();
    writeFileSync(join(dir, 'shout.ts'), readmePlugin());
    copyFileSync(join(ROOT, 'examples/plugins/roll.ts'), join(dir, 'roll.ts'));
    writeFileSync(join(dir, 'plain.js'), GOOD.replace("name: 'shout'", "name: 'plain'"));
    const { registry, problems } = await createBot({ pluginsDir: dir, shell: false });
    expect(problems).to.deep.equal([]);
    expect(await registry.run(caller(), '!shout hi there', recordingActions())).to.deep.equal({ kind: 'text', text: 'HI THERE' });
    expect(await registry.run(caller(), '!plain hi', recordingActions())).to.deep.equal({ kind: 'text', text: 'HI' });
    const rolled = (await registry.run(caller(), '!roll d6', recordingActions())) as { kind: string; text: string };
    expect(rolled.kind).to.equal('text');
    expect(rolled.text).to.match(/^🎲 [1-6]$/);
  });

  it("a real server started with --plugins on such a folder answers the README's !shout", async () => {
    const dir = bareFolder();
    writeFileSync(join(dir, 'shout.ts'), readmePlugin());
    const server = await startServerProcess(['--ephemeral', '--password', 'pw', '--plugins', dir]);
    const sent = await runParlor(['send', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'ada', '--config', tempDir('cfg'), '--fingerprint', server.fingerprint, '!shout it works']);
    expect(server.events.filter((event) => event.event === 'plugin_skipped')).to.deep.equal([]);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.include('IT WORKS');
  });

  it('loads every module in the folder as further commands', async () => {
    const dir = pluginDir({ 'shout.mjs': GOOD, 'pair.mjs': GOOD.replace("name: 'shout'", "name: 'whisper'").replace('toUpperCase', 'toLowerCase') });
    const { registry, problems } = await createBot({ pluginsDir: dir, shell: false });
    expect(problems).to.deep.equal([]);
    expect(await registry.run(caller(), '!shout hi there', recordingActions())).to.deep.equal({ kind: 'text', text: 'HI THERE' });
    expect(await registry.run(caller(), '!whisper HUSH', recordingActions())).to.deep.equal({ kind: 'text', text: 'hush' });
  });

  it('reports each broken plugin with its reason and skips it, keeping the good ones', async () => {
    const dir = pluginDir({
      'a-good.mjs': GOOD,
      'syntax.mjs': 'export default {{{ nope',
      'throws.mjs': "throw new Error('top-level explosion');",
      'nodefault.mjs': 'export const x = 1;',
      'baddef.mjs': "export default { name: 'Not OK', run: 5 };",
      'clash.mjs': GOOD.replace("name: 'shout'", "name: 'echo'"),
      'README.md': 'not a module',
      'shout.test.mjs': "throw new Error('tests beside a plugin are not plugins');",
    });
    mkdirSync(join(dir, 'subdir.mjs'));
    const { registry, problems } = await createBot({ pluginsDir: dir, shell: false });
    const bySource = Object.fromEntries(problems.map((p) => [p.source, p.problem]));
    expect(Object.keys(bySource).sort()).to.deep.equal(['plugin baddef.mjs', 'plugin clash.mjs', 'plugin nodefault.mjs', 'plugin syntax.mjs', 'plugin throws.mjs']);
    expect(bySource['plugin throws.mjs']).to.match(/top-level explosion/);
    expect(bySource['plugin nodefault.mjs']).to.match(/default export/);
    expect(bySource['plugin baddef.mjs']).to.match(/name/);
    expect(bySource['plugin clash.mjs']).to.match(/!echo is taken by built-in/);
    // The good plugin works, and the built-in that the clash tried to take is untouched.
    expect(await registry.run(caller(), '!shout ok', recordingActions())).to.deep.equal({ kind: 'text', text: 'OK' });
    expect(await registry.run(caller(), '!echo still mine', recordingActions())).to.deep.equal({ kind: 'text', text: 'still mine' });
  });

  it('reports a plugins folder that cannot be read', async () => {
    const { problems } = await createBot({ pluginsDir: join(tempDir('plugins'), 'missing'), shell: false });
    expect(problems).to.have.length(1);
    expect(problems[0]!.problem).to.match(/ENOENT/);
  });

  it('reports a --disable-command name that no command has', async () => {
    const { problems } = await createBot({ disabledCommands: ['ecko'], shell: false });
    expect(problems).to.deep.equal([{ source: '--disable-command', problem: 'there is no !ecko to turn off' }]);
  });
});
