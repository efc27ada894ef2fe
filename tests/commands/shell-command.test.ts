// !shell through the registry, on the real just-bash sandbox: what a user sees of it. The escape
// attempts against the sandbox itself are in tests/commands/shell/.

import { expect } from 'chai';
import type { CommandReply } from '../../src/commands/definition.ts';
import { CommandRegistry } from '../../src/commands/registry.ts';
import { shellCommand } from '../../src/commands/shell.ts';
import { ShellSandbox } from '../../src/commands/shell/sandbox.ts';
import { caller, recordingActions } from './helpers.ts';

describe('commands/shell', () => {
  let sandbox: ShellSandbox;
  let registry: CommandRegistry;
  const ada = caller({ fingerprint: 'SHA256:ada' });
  const bob = caller({ name: 'Bob', key: 'bob', fingerprint: 'SHA256:bob' });
  const run = (who: typeof ada, line: string): Promise<CommandReply> => registry.run(who, line, recordingActions());
  const textOf = (reply: CommandReply): string => {
    expect(reply.kind, JSON.stringify(reply)).to.equal('text');
    return (reply as { text: string }).text;
  };

  beforeEach(async () => {
    sandbox = await ShellSandbox.create({ limits: { timeoutMs: 1_000 } });
    registry = new CommandRegistry();
    // No cooldown here: the tests run commands back to back.
    registry.add({ ...shellCommand(sandbox), cooldownMs: 0 });
  });
  afterEach(() => sandbox.close());

  it('runs a command and answers with its output', async () => {
    expect(textOf(await run(ada, '!shell echo hello; echo $((6 * 7))'))).to.equal('hello\n42');
  });

  it('keeps a home per identity between commands, which nobody else sees', async () => {
    textOf(await run(ada, '!shell echo mine > note.txt'));
    expect(textOf(await run(ada, '!sh cat note.txt'))).to.equal('mine');
    expect(textOf(await run(bob, '!shell cat note.txt'))).to.match(/No such file/).and.match(/exit status 1/);
  });

  it('says the exit status of a failing command, and "(no output)" for a silent one', async () => {
    expect(textOf(await run(ada, '!shell false'))).to.equal('(exit status 1)');
    expect(textOf(await run(ada, '!shell true'))).to.equal('(no output)');
  });

  it("stops an endless loop by the sandbox's loop limit, with a message", async () => {
    // A deadline far off, so that the count (not a busy machine's clock) is what stops it.
    await sandbox.close();
    sandbox = await ShellSandbox.create({ limits: { timeoutMs: 60_000 } });
    registry = new CommandRegistry();
    registry.add({ ...shellCommand(sandbox), cooldownMs: 0 });
    expect(textOf(await run(ada, '!shell while true; do :; done'))).to.match(/exit status 126/);
  });

  it('turns a run killed at the deadline into COMMAND_TIMEOUT, and the next one works', async () => {
    // Loop limits so high that only the deadline can stop it.
    await sandbox.close();
    sandbox = await ShellSandbox.create({ limits: { timeoutMs: 1_000, maxLoopIterations: 1e9, maxCommands: 1e9 } });
    registry = new CommandRegistry();
    registry.add({ ...shellCommand(sandbox), cooldownMs: 0 });
    const reply = await run(ada, "!shell awk 'BEGIN { while (1) {} }'");
    expect(reply).to.include({ kind: 'error', code: 'COMMAND_TIMEOUT' });
    expect(textOf(await run(ada, '!shell echo still here'))).to.equal('still here');
  });

  it('shows no terminal control sequences from the output', async () => {
    const out = textOf(await run(ada, "!shell printf '\\033]0;pwned\\007\\033[2J\\033[31mred\\033[0m\\n'"));
    expect(out).to.equal('red');
  });

  it('asks for a command when given none', async () => {
    expect(await run(ada, '!shell')).to.include({ kind: 'error', code: 'BAD_ARGUMENTS' });
  });
});
