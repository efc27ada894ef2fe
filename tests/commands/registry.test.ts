import { expect } from 'chai';
import type { CommandDefinition, CommandReply } from '../../src/commands/definition.ts';
import { echo } from '../../src/commands/echo.ts';
import { help } from '../../src/commands/help.ts';
import { kick } from '../../src/commands/kick.ts';
import { CommandRegistry, isCommandLine, parseCommandLine } from '../../src/commands/registry.ts';
import { unescapeChatLine } from '../../src/protocol/command-line.ts';
import { caller, recordingActions } from './helpers.ts';

function command(overrides: Partial<CommandDefinition> = {}): CommandDefinition {
  return {
    name: 'probe',
    summary: 'a command for tests',
    usage: '!probe',
    permission: 'everyone',
    cooldownMs: 0,
    timeoutMs: 1_000,
    maxOutputBytes: 1024,
    run: () => ({ kind: 'text', text: 'ok' }),
    ...overrides,
  };
}

function registryWith(...definitions: CommandDefinition[]): CommandRegistry {
  const registry = new CommandRegistry();
  for (const definition of definitions) registry.add(definition);
  return registry;
}

function expectError(reply: CommandReply, code: string): Extract<CommandReply, { kind: 'error' }> {
  expect(reply.kind, JSON.stringify(reply)).to.equal('error');
  const error = reply as Extract<CommandReply, { kind: 'error' }>;
  expect(error.code, error.message).to.equal(code);
  return error;
}

describe('commands/registry', () => {
  it('tells command lines from chat: a letter after one !', () => {
    expect(isCommandLine('!echo hi')).to.equal(true);
    expect(isCommandLine('!HELP')).to.equal(true);
    expect(isCommandLine('!!not a command')).to.equal(false);
    expect(isCommandLine('! spaced')).to.equal(false);
    expect(isCommandLine('hello !echo')).to.equal(false);
    expect(parseCommandLine('  !Echo   two  words ')).to.deep.equal({ name: 'echo', args: 'two  words' });
  });

  it('reads `!!` before a letter as an escape for one `!`, and leaves every other line as written', () => {
    expect(unescapeChatLine('!!echo hi')).to.equal('!echo hi');
    expect(unescapeChatLine('!!!x')).to.equal('!!x');
    expect(unescapeChatLine('!! spaced')).to.equal('!! spaced');
    expect(unescapeChatLine('!!')).to.equal('!!');
    expect(unescapeChatLine('hello !!x')).to.equal('hello !!x');
  });

  it('refuses malformed definitions, naming each problem', () => {
    const registry = new CommandRegistry();
    expect(() => registry.add({ ...command(), name: 'Bad Name' })).to.throw(/name/);
    expect(() => registry.add({ ...command(), run: 'not a function' })).to.throw(/run/);
    expect(() => registry.add({ ...command(), timeoutMs: 0 })).to.throw(/timeoutMs/);
    expect(() => registry.add({ ...command(), permission: 'root' })).to.throw(/permission/);
    expect(() => registry.add(null)).to.throw();
    expect(registry.list()).to.deep.equal([]);
  });

  it('refuses a name or an alias that is taken, and says by whom', () => {
    const registry = registryWith(echo);
    expect(() => registry.add(command({ name: 'echo' }), 'plugin x.ts')).to.throw(/plugin x.ts: !echo is taken by built-in/);
    expect(() => registry.add(command({ name: 'other', aliases: ['echo'] }))).to.throw(/!echo is taken/);
    const problems = registry.addAll([
      { definition: command({ name: 'fine' }), source: 'a' },
      { definition: command({ name: 'echo' }), source: 'b' },
    ]);
    expect(problems.map((p) => p.source)).to.deep.equal(['b']);
    expect(registry.get('fine')).to.not.equal(undefined);
  });

  it('runs a command by name or alias, with the rest of the line as its arguments', async () => {
    const seen: string[] = [];
    const registry = registryWith(command({ aliases: ['p'], run: (_c, args) => (seen.push(args), { kind: 'text', text: 'ok' }) }));
    expect(await registry.run(caller(), '!probe  a b ', recordingActions())).to.deep.equal({ kind: 'text', text: 'ok' });
    await registry.run(caller(), '!P x', recordingActions());
    expect(seen).to.deep.equal(['a b', 'x']);
  });

  it('answers an unknown command with UNKNOWN_COMMAND', async () => {
    expectError(await registryWith(echo).run(caller(), '!nope', recordingActions()), 'UNKNOWN_COMMAND');
  });

  it('keeps operator commands for operators', async () => {
    const registry = registryWith(kick);
    expectError(await registry.run(caller(), '!kick bob', recordingActions()), 'NOT_OPERATOR');
    const actions = recordingActions();
    expect(await registry.run(caller({ operator: true }), '!kick bob', actions)).to.deep.equal({ kind: 'text', text: 'bob was kicked' });
    expect(actions.log).to.deep.equal(['kick bob: ']);
  });

  it('applies a per-user cooldown and says how long to wait', async () => {
    const registry = registryWith(command({ cooldownMs: 60_000 }));
    expect((await registry.run(caller(), '!probe', recordingActions())).kind).to.equal('text');
    const error = expectError(await registry.run(caller(), '!probe', recordingActions()), 'COMMAND_COOLDOWN');
    expect(error.retryAfterMs).to.be.greaterThan(0).and.at.most(60_000);
    // Another user is not held up by the first one's cooldown.
    expect((await registry.run(caller({ name: 'Bob', key: 'bob' }), '!probe', recordingActions())).kind).to.equal('text');
  });

  it('turns a hanging command into COMMAND_TIMEOUT and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const registry = registryWith(
      command({
        timeoutMs: 50,
        run: (context) => {
          signal = context.signal;
          return new Promise(() => {});
        },
      }),
    );
    expectError(await registry.run(caller(), '!probe', recordingActions()), 'COMMAND_TIMEOUT');
    expect(signal?.aborted).to.equal(true);
  });

  it('turns a throw (sync or async) into COMMAND_FAILED, and keeps a ParlorError code', async () => {
    const registry = registryWith(
      command({ name: 'sync', run: () => { throw new Error('boom'); } }),
      command({ name: 'async', run: async () => { throw new TypeError('bang'); } }),
      command({ name: 'coded', run: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }); } }),
    );
    expect(expectError(await registry.run(caller(), '!sync', recordingActions()), 'COMMAND_FAILED').message).to.match(/boom/);
    expect(expectError(await registry.run(caller(), '!async', recordingActions()), 'COMMAND_FAILED').message).to.match(/bang/);
    expectError(await registry.run(caller(), '!coded', recordingActions()), 'COMMAND_FAILED');
  });

  it('refuses replies of no known shape from a plugin', async () => {
    const garbage: unknown[] = [undefined, 42, { kind: 'html', html: '<b>' }, { kind: 'text', text: 7 }, { kind: 'link', url: 'javascript:alert(1)' }, { kind: 'error', code: 'NOPE' }];
    for (const reply of garbage) {
      const registry = registryWith(command({ run: () => reply as CommandReply }));
      expectError(await registry.run(caller(), '!probe', recordingActions()), 'COMMAND_FAILED');
    }
  });

  it('cuts text at the output cap on a character boundary, and refuses an image over it', async () => {
    const registry = registryWith(
      command({ name: 'long', maxOutputBytes: 10, run: () => ({ kind: 'text', text: 'ééééééééé' }) }),
      command({ name: 'big', maxOutputBytes: 10, run: () => ({ kind: 'image', bytes: new Uint8Array(11), type: 'image/png', name: 'x.png' }) }),
    );
    const reply = await registry.run(caller(), '!long', recordingActions());
    expect(reply).to.deep.equal({ kind: 'text', text: 'ééééé\n… (output cut at 10 bytes)' });
    expectError(await registry.run(caller(), '!big', recordingActions()), 'COMMAND_FAILED');
  });

  it('turns off what --disable-command names, by name or alias', async () => {
    const registry = new CommandRegistry({ disabled: ['echo', 'p', 'nosuch'] });
    registry.add(echo);
    registry.add(command({ aliases: ['p'] }));
    registry.add(help);
    expectError(await registry.run(caller(), '!echo hi', recordingActions()), 'COMMAND_DISABLED');
    expectError(await registry.run(caller(), '!probe', recordingActions()), 'COMMAND_DISABLED');
    expect(registry.list().map((d) => d.name)).to.deep.equal(['help']);
    expect(registry.unknownAmong(['echo', 'nosuch'])).to.deep.equal(['nosuch']);
    expectError(await registry.run(caller(), '!nosuch', recordingActions()), 'COMMAND_DISABLED');
  });

  it('generates !help from the definitions, hiding operator commands from others', async () => {
    const registry = registryWith(help, echo, kick);
    const everyone = await registry.run(caller(), '!help', recordingActions());
    expect(everyone.kind).to.equal('text');
    const listing = (everyone as { text: string }).text;
    expect(listing).to.include('!echo TEXT').and.include('!help [NAME]').and.not.include('!kick');
    const operator = (await registry.run(caller({ operator: true }), '!help', recordingActions())) as { text: string };
    expect(operator.text).to.include('!kick USER [REASON]').and.include('(operator)');
    const one = (await registry.run(caller(), '!help !echo', recordingActions())) as { text: string };
    expect(one.text).to.include('!echo TEXT').and.include('says your text back');
    expectError(await registry.run(caller(), '!help kick', recordingActions()), 'UNKNOWN_COMMAND');
  });
});
