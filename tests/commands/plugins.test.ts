import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBot } from '../../src/commands/builtins.ts';
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

describe('commands/plugins', () => {
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
