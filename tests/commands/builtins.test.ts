import { expect } from 'chai';
import { createBot as createFullBot, type LoadedCommands, type BotOptions } from '../../src/commands/builtins.ts';
import { caller, OPERATOR_PASSWORD, recordingActions } from './helpers.ts';

describe('commands/builtins', () => {
  const bots: LoadedCommands[] = [];
  const createBot = async (options: BotOptions = {}) => {
    const bot = await createFullBot(options);
    bots.push(bot);
    return bot;
  };
  afterEach(async () => {
    for (const bot of bots.splice(0)) await bot.close();
  });

  it('has the built-ins of the product card, each with a usage and a summary', async () => {
    const { registry, problems } = await createBot();
    expect(problems).to.deep.equal([]);
    const names = registry.list().map((d) => d.name);
    for (const name of ['help', 'echo', 'meow', 'enlightenme', 'shell', 'exit', 'quit', 'kick', 'ban', 'unban', 'announce']) expect(names).to.include(name);
  });

  it('--no-shell (shell: false) turns !shell off without starting a sandbox', async () => {
    const { registry, problems } = await createBot({ shell: false, disabledCommands: ['shell'] });
    expect(problems).to.deep.equal([]);
    expect(registry.list().map((d) => d.name)).to.not.include('shell');
    expect(await registry.run(caller(), '!shell ls', recordingActions())).to.include({ kind: 'error', code: 'COMMAND_DISABLED' });
    expect(await registry.run(caller(), '!sh ls', recordingActions())).to.include({ kind: 'error', code: 'COMMAND_DISABLED' });
  });

  it('!echo says the text back, and asks for one when there is none', async () => {
    const { registry } = await createBot();
    expect(await registry.run(caller(), '!echo  hello   world ', recordingActions())).to.deep.equal({ kind: 'text', text: 'hello   world' });
    expect(await registry.run(caller(), '!echo', recordingActions())).to.include({ kind: 'error', code: 'BAD_ARGUMENTS' });
  });

  it('!exit asks the server to disconnect the caller once the reply is out', async () => {
    const { registry } = await createBot();
    const actions = recordingActions();
    expect(await registry.run(caller(), '!exit', actions)).to.deep.equal({ kind: 'text', text: 'bye' });
    expect(actions.log).to.deep.equal(['disconnect: you left with !exit']);
  });

  it('!quit stops the server only with the operator password', async () => {
    const { registry } = await createBot();
    const wrong = recordingActions();
    expect(await registry.run(caller(), '!quit guess', wrong)).to.include({ kind: 'error', code: 'BAD_PASSWORD' });
    expect(await registry.run(caller(), '!quit', wrong)).to.include({ kind: 'error', code: 'BAD_ARGUMENTS' });
    expect(wrong.log).to.deep.equal([]);
    const right = recordingActions();
    expect(await registry.run(caller(), `!quit ${OPERATOR_PASSWORD}`, right)).to.deep.equal({ kind: 'text', text: 'the server is stopping' });
    expect(right.log).to.deep.equal(['stop: Ada stopped the server']);
  });

  it('!kick, !ban, !unban and !announce act for operators, with reasons', async () => {
    const { registry } = await createBot();
    const op = caller({ operator: true });
    const actions = recordingActions();
    expect(await registry.run(op, '!kick bob spamming the lobby', actions)).to.deep.equal({ kind: 'text', text: 'bob was kicked' });
    expect((await registry.run(op, '!ban bob', actions)).kind).to.equal('text');
    expect((await registry.run(op, '!unban bob', actions)).kind).to.equal('text');
    expect(await registry.run(op, '!announce pizza is here', actions)).to.deep.equal({ kind: 'text', text: 'announced to 3 people' });
    expect(await registry.run(op, '!kick', actions)).to.include({ kind: 'error', code: 'BAD_ARGUMENTS' });
    expect(actions.log).to.deep.equal(['kick bob: spamming the lobby', 'ban bob: ', 'unban bob', 'announce: pizza is here']);
    for (const line of ['!kick bob', '!ban bob', '!unban bob', '!announce hi']) {
      expect(await registry.run(caller(), line, recordingActions()), line).to.include({ kind: 'error', code: 'NOT_OPERATOR' });
    }
  });
});
