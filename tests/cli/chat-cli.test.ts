// parlor send and parlor tail as scripts drive them: child processes against a child server.

import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ChatClient } from '../../src/client/chat-client.ts';
import { loadOrCreateClientIdentity } from '../../src/crypto/identity.ts';
import { collect, settle } from '../helpers/chat-world.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { PARLOR_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const parlor = runParlor;

describe('cli: parlor send and parlor tail', () => {
  let server: ServerProcess;
  /** One config dir (so one identity) per person, as on their own machine. */
  let configs: Map<string, string>;
  const as = (name: string) => {
    if (!configs.has(name)) configs.set(name, tempDir(`cfg-${name}`));
    return ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', name, '--config', configs.get(name)!, '--fingerprint', server.fingerprint];
  };

  beforeEach(async () => {
    configs = new Map();
    server = await startServerProcess(['--data', tempDir('data'), '--password', 'pw']);
  });

  it('send prints the id of the stored message; tail --json prints history, then live messages, then exits at --count', async () => {
    const first = await parlor(['send', ...as('ada'), 'hello', 'world']);
    expect(first.code, first.stderr).to.equal(0);
    const id = Number(first.stdout.trim());
    expect(id).to.be.a('number').and.greaterThan(0);

    const tail = spawn(process.execPath, [PARLOR_BIN, 'tail', ...as('bob'), '--json', '--count', '3', '--timeout', '20'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<Record<string, unknown>> = [];
    createInterface({ input: tail.stdout }).on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
    const exited = new Promise<number | null>((resolve) => tail.once('exit', resolve));
    for (let i = 0; i < 200 && !lines.some((l) => l.type === 'message'); i++) await new Promise((r) => setTimeout(r, 25));
    expect(lines[0]).to.deep.include({ type: 'message', id, room: 'lobby', from: 'ada', text: 'hello world' });

    const dm = await parlor(['send', ...as('ada'), '--to', 'bob', '--json', 'just', 'for', 'you']);
    expect(dm.code, dm.stderr).to.equal(0);
    const ack = JSON.parse(dm.stdout) as { id: number; ts: number };
    const room = await parlor(['send', ...as('cy'), 'third']);
    expect(room.code, room.stderr).to.equal(0);
    expect(await exited).to.equal(0);
    const messages = lines.filter((l) => l.type === 'message');
    expect(messages).to.have.length(3);
    // A DM is end-to-end: tail prints it opened, with how it was verified, and not the envelope.
    expect(messages[1]).to.deep.equal({
      type: 'message',
      id: ack.id,
      to: 'bob',
      from: 'ada',
      text: 'just for you',
      ts: ack.ts,
      // The sender's signed time (issue 17 item 13), as the sender's clock had it.
      e2e: { state: 'verified', fingerprint: (await loadOrCreateClientIdentity(configs.get('ada')!)).fingerprint, sentAt: (messages[1]!.e2e as { sentAt: number }).sentAt, timeMismatch: false },
    });
    expect((messages[1]!.e2e as { sentAt: number }).sentAt).to.be.a('number');
    expect(messages[2]).to.include({ room: 'lobby', from: 'cy', text: 'third' });
    // A plaintext room message says so: the field is never absent.
    expect(messages[2]!.e2e).to.deep.equal({ state: 'none' });
  });

  it('tail exits 0 at --timeout with nothing to print', async () => {
    const result = await parlor(['tail', ...as('dee'), '--timeout', '1']);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.equal('');
  });

  it('send to a password room works with --room-password; without it is PASSWORD_REQUIRED, a wrong one BAD_PASSWORD; an unknown room is ROOM_NOT_FOUND', async () => {
    const [identity] = await sharedIdentities();
    const owner = await ChatClient.connect({
      host: '127.0.0.1',
      port: server.port,
      identity: identity!,
      configDir: tempDir('owner'),
      fingerprint: server.fingerprint,
      name: 'owner',
      password: 'pw',
      reconnect: false,
    });
    await owner.create('vault', 'open sesame');
    const got = collect(owner);
    const refused = await parlor(['send', ...as('ada'), '--room', 'vault', 'x']);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/^parlor: PASSWORD_REQUIRED: #vault has a password/);
    const wrong = await parlor(['send', ...as('ada'), '--room', 'vault', '--room-password', 'nope', 'x']);
    expect(wrong.code).to.equal(1);
    expect(wrong.stderr).to.match(/^parlor: BAD_PASSWORD: that is not the password of #vault/);
    const sent = await parlor(['send', ...as('ada'), '--room', 'vault', '--room-password', 'open sesame', 'inside']);
    expect(sent.code, sent.stderr).to.equal(0);
    await settle(owner);
    expect(got.map((m) => m.text)).to.deep.equal(['inside']);
    owner.close();
    const missing = await parlor(['send', ...as('ada'), '--room', 'nowhere', 'x']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.match(/^parlor: ROOM_NOT_FOUND/);
    // The CLI's own way, not the UI's slash commands.
    expect(missing.stderr).to.include('--room').and.not.match(/\/(create|join)\b/);
  });

  const without = (args: string[], flag: string) => args.filter((_, i) => args[i] !== flag && args[i - 1] !== flag);
  const cases: Array<[string, () => string[], string, number]> = [
    ['a wrong password', () => [...without(as('eve'), '--password'), '--password', 'nope'], 'BAD_PASSWORD', 1],
    ['no --server', () => without(as('eve'), '--server'), 'BAD_OPTION', 2],
    ['an unknown recipient', () => [...as('eve'), '--to', 'nobody'], 'USER_NOT_FOUND', 1],
    ['--room together with --to', () => [...as('eve'), '--room', 'lobby', '--to', 'ada'], 'BAD_OPTION', 2],
  ];
  for (const [label, args, code, exit] of cases) {
    it(`send exits ${exit} with ${code} on stderr for ${label}`, async () => {
      const result = await parlor(['send', ...args(), 'text']);
      expect(result.code, result.stderr).to.equal(exit);
      expect(result.stderr).to.include(`parlor: ${code}`);
    });
  }
});
