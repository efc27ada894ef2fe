// The example plugin's own test: run through a registry exactly as the server would, no socket.

import { expect } from 'chai';
import type { BotActions } from '../../src/commands/definition.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import { loadPlugins } from '../../src/commands/plugins.ts';
import roll from './roll.ts';

const caller = { name: 'Ada', key: 'ada', fingerprint: 'SHA256:x', operator: false };
const noActions = {} as BotActions; // !roll asks the server for nothing

describe('examples/plugins/roll', () => {
  const registry = new CommandRegistry();
  registry.add(roll, 'plugin roll.ts');

  it('rolls N dice of S sides plus a modifier, within bounds', async () => {
    for (let i = 0; i < 50; i++) {
      const reply = await registryRun('!roll 3d6+2', `user${i}`);
      const total = Number(/🎲 (-?\d+)/.exec(reply)![1]);
      expect(total).to.be.within(5, 20);
    }
  });

  it('takes d6 by default and the !dice alias', async () => {
    expect(Number(/🎲 (\d+)/.exec(await registryRun('!dice', 'bea'))![1])).to.be.within(1, 6);
  });

  it('refuses what is not dice', async () => {
    for (const bad of ['!roll lots', '!roll 0d6', '!roll 1000d6', '!roll 2d1']) {
      expect(await registry.run({ ...caller, key: bad }, bad, noActions)).to.include({ kind: 'error', code: 'BAD_ARGUMENTS' });
    }
  });

  it('loads from the examples folder as a server would load it', async () => {
    const loaded = await loadPlugins(new URL('.', import.meta.url).pathname);
    expect(loaded.problems).to.deep.equal([]);
    expect(loaded.candidates.map((c) => c.source)).to.deep.equal(['plugin roll.ts']);
  });

  async function registryRun(line: string, key: string): Promise<string> {
    const reply = await registry.run({ ...caller, key }, line, noActions);
    expect(reply.kind, JSON.stringify(reply)).to.equal('text');
    return (reply as { text: string }).text;
  }
});
