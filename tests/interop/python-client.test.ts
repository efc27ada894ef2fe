// A second implementation keeps docs/protocol.md true: tests/interop/pyclient is a small client in
// Python (standard library and `cryptography`) written from the document, not from src/. Here it
// talks to a real `parlor serve` and to a ChatClient, and sends every malformed input whose answer
// the document states. A change to the wire that the document does not follow fails here.

import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { DeliveredMessage } from '../../src/client/e2e/e2e.ts';
import { connectChat, JOIN_PASSWORD, waitUntil } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';

const PYTHON = '/usr/bin/python3';
const PYCLIENT = fileURLToPath(new URL('./pyclient/', import.meta.url));

type Line = Record<string, unknown>;

interface PythonRun {
  lines: Line[];
  /** The first line (already printed or still to come) that matches; rejects when Python exits first. */
  waitFor(match: (line: Line) => boolean, what: string): Promise<Line>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function runScenario(args: string[]): PythonRun {
  // -B: no __pycache__ in the source tree.
  const child = spawn(PYTHON, ['-B', 'scenario.py', ...args], { cwd: PYCLIENT, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Line[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(JSON.parse(line) as Line));
  let ended = false;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child);
      ended = true;
      resolve(code);
    }),
  );
  const waitFor = async (match: (line: Line) => boolean, what: string): Promise<Line> => {
    await waitUntil(() => lines.some(match) || ended, what, 60_000);
    // The last lines may still be in the pipe when the exit is seen.
    if (!lines.some(match)) await exited.then(() => new Promise((resolve) => setImmediate(resolve)));
    const found = lines.find(match);
    if (!found) throw new Error(`the Python client ended without ${what}: ${JSON.stringify(lines.slice(-3))}; stderr: ${stderr}`);
    return found;
  };
  return { lines, waitFor, exited };
}

function step(run: PythonRun, name: string): Line {
  const found = run.lines.find((line) => line.step === name);
  expect(found, `the Python client's "${name}" step; it printed ${JSON.stringify(run.lines)}`).not.to.equal(undefined);
  return found!;
}

describe('interop: a Python client written from docs/protocol.md', function () {
  this.timeout(120_000);

  before(function () {
    if (!existsSync(PYTHON)) skipOrFail(this, `${PYTHON} is missing (Debian package python3)`);
    const probe = spawnSync(PYTHON, ['-c', 'import cryptography'], { encoding: 'utf8' });
    if (probe.status !== 0) skipOrFail(this, `${PYTHON} cannot import cryptography (Debian package python3-cryptography)`);
  });

  afterEach(() => {
    for (const child of running) child.kill('SIGKILL');
  });

  it('completes the handshake (signature and pinned fingerprint), logs in, talks in a room and a secret room, sends and receives end-to-end DMs, and runs a bot command', async () => {
    const server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--no-discovery']);
    const [identity] = await sharedIdentities();
    const ts = await connectChat(server, identity!, 'Ts');
    await ts.join('lobby');
    const seenByTs: DeliveredMessage[] = [];
    ts.on('message', (message) => seenByTs.push(message));

    const py = runScenario(['chat', server.host, String(server.port), server.fingerprint, JOIN_PASSWORD, 'Py', 'Ts']);
    // Python speaks first; the ChatClient joins Python's secret room when it exists, and answers
    // once Python's DMs (so its key) have reached it.
    await py.waitFor((line) => line.step === 'secret-created' || line.step === 'error', 'its secret room');
    await ts.join('pysecret');
    await py.waitFor((line) => line.step === 'waiting' || line.step === 'error', 'its messages sent');
    await waitUntil(() => seenByTs.filter((m) => m.to !== undefined).length === 2, "Python's DMs to reach the ChatClient", 10_000);
    await ts.say('lobby', 'hello python');
    await ts.dm('Py', 'sealed hello from typescript');
    await py.waitFor((line) => line.step === 'done' || line.step === 'error', 'the end of its chat');
    expect(await py.exited, JSON.stringify(py.lines.at(-1))).to.equal(0);

    const welcome = step(py, 'welcome');
    expect(welcome.pinned).to.equal(server.fingerprint);
    expect(welcome.server).to.equal(server.fingerprint);
    expect(welcome.you, "the server saw Python's identity key").to.equal(welcome.mine);
    expect(step(py, 'login')).to.deep.include({ name: 'Py', fingerprint: welcome.mine });
    expect(step(py, 'joined').members).to.have.members(['Ts', 'Py']);
    const rooms = step(py, 'rooms') as { lobby: object; members: Array<{ name: string; lastMessageAt: number | null }> };
    expect(rooms.lobby).to.deep.equal({ name: 'lobby', members: 2, hasPassword: false, secret: false });
    expect(rooms.members.map((m) => m.name)).to.have.members(['Ts', 'Py']);
    for (const member of rooms.members) expect(member.lastMessageAt === null || typeof member.lastMessageAt === 'number').to.equal(true);
    expect(step(py, 'command')).to.deep.include({ command: 'echo', reply: { kind: 'text', text: 'hi from python' } });
    expect(step(py, 'peer-key')).to.deep.include({ name: 'Ts', fingerprint: identity!.fingerprint, online: true });

    // What the ChatClient saw from Python: the room's plaintext (the `!!` escape dropped) and a
    // DM that opened and verified under Python's key.
    await waitUntil(() => seenByTs.some((m) => m.room === 'pysecret'), "Python's sealed room message", 10_000);
    const fromPython = seenByTs.filter((m) => m.from === 'Py');
    expect(fromPython.filter((m) => m.room === 'lobby').map((m) => m.text)).to.deep.equal(['hello from python', '!literal from python']);
    const [dm, notSealedToTs] = fromPython.filter((m) => m.to !== undefined);
    expect(dm?.e2e).to.include({ state: 'verified', fingerprint: welcome.mine });
    expect(dm?.text).to.equal('sealed hello from python');
    expect(notSealedToTs?.id).to.equal(step(py, 'dm-not-sealed-to-peer').id);
    expect(notSealedToTs?.e2e).to.include({ state: 'not-sealed-to-you', fingerprint: welcome.mine });
    expect(notSealedToTs?.text).to.equal('');

    // The secret room: plaintext refused, and the room message sealed to the key Python took
    // from the ChatClient's `joined` event.
    expect(step(py, 'secret-created')).to.deep.include({ secret: true, keys: ['Py'], plaintext: 'E2E_REQUIRED' });
    const secret = fromPython.find((m) => m.room === 'pysecret');
    expect(secret?.id).to.equal(step(py, 'secret-said').id);
    expect(secret?.e2e).to.include({ state: 'verified', fingerprint: welcome.mine });
    expect(secret?.text).to.equal('sealed to the room');

    // What Python saw from the ChatClient, opened with the document's checks.
    expect(step(py, 'room-received')).to.deep.include({ room: 'lobby', text: 'hello python', sealed: false });
    expect(step(py, 'dm-received')).to.deep.include({ frm: 'Ts', to: 'Py', text: 'sealed hello from typescript', plaintext_field: '' });
    ts.close();
  });

  it('gets the documented answer to every malformed input', async () => {
    const server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--no-discovery']);
    const py = runScenario(['malformed', server.host, String(server.port), server.fingerprint, JOIN_PASSWORD]);
    await py.waitFor((line) => line.step === 'done' || line.step === 'error', 'the end of its cases');
    expect(await py.exited).to.equal(0);

    const closes = (code: string) => ({ answer: 'closing', code });
    const staysOpen = (code: string, re: number | null) => ({ answer: 'error', code, re, open: true });
    const handshakeError = (code: string, supportedVersions: number[] | null = null) => ({ answer: 'handshake-error', code, supportedVersions });
    // docs/protocol.md: 3.1 (records), 4.1 (requests), 1 and 3 (frames), 2.4 (the handshake).
    const documented: Record<string, object> = {
      'bad-json': closes('BAD_MESSAGE'),
      'empty-json-body': closes('BAD_MESSAGE'),
      'not-an-object': staysOpen('BAD_REQUEST', null),
      'a-string': staysOpen('BAD_REQUEST', null),
      'empty-plaintext': closes('BAD_MESSAGE'),
      'zero-length-record': closes('BAD_MESSAGE'),
      'overrunning-record': closes('BAD_MESSAGE'),
      'unknown-record-kind': closes('BAD_MESSAGE'),
      'no-id': staysOpen('BAD_REQUEST', null),
      'negative-id': staysOpen('BAD_REQUEST', null),
      'unknown-type': staysOpen('UNKNOWN_TYPE', 5),
      'schema-broken': staysOpen('BAD_REQUEST', 6),
      'before-login': staysOpen('NOT_LOGGED_IN', 7),
      'command-as-chat': staysOpen('BAD_REQUEST', 8),
      'oversize-frame': closes('FRAME_TOO_LARGE'),
      'short-sealed-frame': closes('FRAME_MALFORMED'),
      'replayed-frame': closes('FRAME_REPLAYED'),
      'skipped-counter': closes('FRAME_OUT_OF_ORDER'),
      'altered-frame': closes('FRAME_AUTH_FAILED'),
      'oversize-handshake-frame': handshakeError('FRAME_TOO_LARGE'),
      'wrong-version': handshakeError('UNSUPPORTED_VERSION', [1]),
      'bad-magic': handshakeError('BAD_HANDSHAKE'),
      'padded-exponent': handshakeError('BAD_HANDSHAKE'),
      'wrong-client-finished': handshakeError('KEY_CONFIRMATION_FAILED'),
    };
    const answers = Object.fromEntries(py.lines.filter((line) => line.case !== undefined).map(({ case: name, ...answer }) => [name, answer]));
    expect(answers).to.deep.equal(documented);
    // The server stayed up through all of it.
    expect(server.child.exitCode).to.equal(null);
  });

  it("is told TOO_MANY_CONNECTIONS in the handshake's Error when over the per-address cap, and served once a login frees the place", async () => {
    const server = await startServerProcess(['--ephemeral', '--password', JOIN_PASSWORD, '--no-discovery', '--max-unauthenticated-per-address', '1']);
    const py = runScenario(['crowded', server.host, String(server.port), server.fingerprint, JOIN_PASSWORD]);
    await py.waitFor((line) => line.step === 'done' || line.step === 'error', 'the end of its cases');
    expect(await py.exited, JSON.stringify(py.lines.at(-1))).to.equal(0);
    const answers = Object.fromEntries(py.lines.filter((line) => line.case !== undefined).map(({ case: name, ...answer }) => [name, answer]));
    expect(answers).to.deep.equal({
      'over-the-cap': { answer: 'handshake-error', code: 'TOO_MANY_CONNECTIONS', supportedVersions: null },
      // A connection served in full answers a ping and stays open.
      'after-a-login': { answer: 'reply', code: null, re: 1, open: true },
    });
  });
});
