// End to end that cannot be faked (issue 17 items 12 and 13). A hostile server, played by the
// product's own server with its SQLite store tampered with behind its back (a second connection,
// as an operator with the data dir could), and a hostile client that sends a DM in clear. What
// is not sealed and verified must say so in `parlor tail` (text and --json) and in the UI's lines;
// a sealed DM stored again under a new id and a later timestamp must be caught by a fresh `tail`
// with the same config dir.

import Database from 'better-sqlite3';
import { expect } from 'chai';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SEEN_ENVELOPES_FILE } from '../../src/client/e2e/seen-envelopes.ts';
import { CLIENT_IDENTITY_FILE, loadOrCreateClientIdentity, type ClientIdentity } from '../../src/crypto/identity.ts';
import { DATABASE_FILE, SqliteStore } from '../../src/store/sqlite-store.ts';
import { entryLines, type TerminalPicture } from '../../src/ui/chat-view.ts';
import { ConversationList, dmKey, roomKey } from '../../src/shared/conversations.ts';
import { resolveTheme } from '../../src/shared/themes.ts';
import { nextMessages, PASSWORD, settle, startWorld, type World } from '../helpers/chat-world.ts';
import { makeRelayHostile } from '../helpers/hostile-relay.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const DAY_MS = 24 * 3600_000;
const theme = resolveTheme('nord', {});

interface TailLine {
  type: string;
  id: number;
  from: string;
  text: string;
  ts: number;
  e2e?: { state: string; code?: string; sentAt?: number; timeMismatch?: boolean };
}

describe('security: what is not end-to-end is shown as such', function () {
  this.timeout(120_000);
  let world: World;
  let dataDir: string;
  let tamper: SqliteStore;
  let bobConfig: string;
  let bobIdentity: ClientIdentity;

  beforeEach(async () => {
    dataDir = tempDir('trust-e2e-data');
    world = await startWorld({ dataDir });
    tamper = new SqliteStore(dataDir);
    // bob's key lives in a config dir, so that `parlor tail --config` is bob too. One session per
    // key here: bob's library client is closed before a tail logs in as bob.
    bobConfig = tempDir('trust-e2e-bob');
    bobIdentity = await loadOrCreateClientIdentity(bobConfig);
    (await asBob()).close();
  });
  const asBob = () => world.login('bob', { identity: bobIdentity });
  afterEach(async () => {
    tamper.close();
    await world.stop();
  });

  const tailAsBob = (configDir: string, ...extra: string[]) =>
    runParlor(['tail', '--server', `127.0.0.1:${world.server.address.port}`, '--password', PASSWORD, '--name', 'bob', '--config', configDir, '--fingerprint', world.server.fingerprint, '--timeout', '20', ...extra]);

  async function tailJson(configDir: string, ...extra: string[]): Promise<TailLine[]> {
    const run = await tailAsBob(configDir, '--json', ...extra);
    expect(run.code, run.stderr).to.equal(0);
    return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as TailLine).filter((line) => line.type === 'message');
  }

  it('a plaintext DM and a row the server forged "from alice" are marked not end-to-end in tail, tail --json and the UI', async () => {
    const alice = await world.login('alice');
    const mallory = await world.login('mallory');
    await alice.dm('bob', 'genuine and sealed');
    // A hostile client sends a DM in clear; parlor's own client never does (ChatClient.dm seals).
    await mallory.request('dm', { to: 'bob', text: 'plain from mallory' });
    tamper.appendMessages([{ room: null, to: 'bob', from: 'alice', text: 'forged by the server', ts: Date.now() }]);

    const text = await tailAsBob(bobConfig, '--count', '3');
    expect(text.code, text.stderr).to.equal(0);
    const line = (needle: string) => text.stdout.split('\n').find((l) => l.includes(needle)) ?? '';
    expect(line('genuine and sealed')).to.match(/alice → you: genuine and sealed$/);
    expect(line('plain from mallory')).to.contain('mallory → you [NOT END-TO-END');
    expect(line('forged by the server')).to.contain('alice → you [NOT END-TO-END');

    const json = await tailJson(bobConfig, '--count', '3');
    expect(json.map((l) => [l.text, l.e2e?.state])).to.deep.equal([
      ['genuine and sealed', 'verified'],
      ['plain from mallory', 'none'],
      ['forged by the server', 'none'],
    ]);
    expect(json.every((l) => l.e2e !== undefined)).to.equal(true);

    // The UI: the same messages, opened by bob's own client, drawn as the chat room draws them.
    const bob = await asBob();
    const { messages } = await bob.history({});
    const model = new ConversationList<TerminalPicture>('bob');
    for (const message of messages) model.addMessage(message, false);
    const drawn = (key: string) => model.get(key)!.entries.flatMap((entry) => entryLines(entry, theme, 'bob'));
    const withAlice = drawn(dmKey('alice'));
    expect(withAlice.find((l) => l.includes('genuine and sealed'))).not.to.contain('not end-to-end');
    expect(withAlice.find((l) => l.includes('forged by the server'))).to.contain('not end-to-end');
    expect(drawn(dmKey('mallory')).find((l) => l.includes('plain from mallory'))).to.contain('not end-to-end');

    // bob's own DMs go sealed: the server stores no text.
    await bob.dm('alice', 'sealed reply');
    const stored = tamper.directHistory('bob', { limit: 10 }).at(-1)!;
    expect(stored.text).to.equal('');
    expect(stored.sealed).to.be.a('string');
    bob.close();
  });

  it('a DM the relay forges live (unsealed, "from alice") reaches the client as not end-to-end', async () => {
    const alice = await world.login('alice');
    const bob = await asBob();
    const undo = makeRelayHostile(world.server, {
      direct: (message) => {
        const { sealed: _sealed, ...forged } = message;
        return [{ ...forged, id: (message.id as number) + 1000, text: 'forged live' }, message];
      },
    });
    try {
      const arriving = nextMessages(bob, 2);
      await alice.dm('bob', 'sealed live');
      const [forged, genuine] = await arriving;
      expect([forged!.text, forged!.e2e]).to.deep.equal(['forged live', { state: 'none' }]);
      expect([genuine!.text, genuine!.e2e?.state]).to.deep.equal(['sealed live', 'verified']);
      const model = new ConversationList<TerminalPicture>('bob');
      for (const message of [forged!, genuine!]) model.addMessage(message);
      const lines = model.get(dmKey('alice'))!.entries.flatMap((entry) => entryLines(entry, theme, 'bob'));
      expect(lines.find((l) => l.includes('forged live'))).to.contain('not end-to-end');
      expect(lines.find((l) => l.includes('sealed live'))).not.to.contain('not end-to-end');
    } finally {
      undo();
      bob.close();
    }
  });

  it('a secret room never shows an unsealed line as the room\'s', async () => {
    const alice = await world.login('alice');
    await alice.create('vault', undefined, { secret: true });
    let bob = await asBob();
    await bob.join('vault');
    await alice.say('vault', 'sealed in the vault');
    tamper.appendMessages([{ room: 'vault', to: null, from: 'alice', text: 'forged into the vault', ts: Date.now() }]);
    await settle(bob);
    bob.close();

    const text = await tailAsBob(bobConfig, '--room', 'vault', '--count', '2');
    expect(text.code, text.stderr).to.equal(0);
    expect(text.stdout).to.match(/#vault <alice> sealed in the vault/);
    expect(text.stdout.split('\n').find((l) => l.includes('forged into the vault'))).to.contain('#vault !! NOT END-TO-END');
    const json = await tailJson(bobConfig, '--room', 'vault', '--count', '2');
    expect(json.map((l) => [l.text, l.e2e?.state])).to.deep.equal([
      ['sealed in the vault', 'verified'],
      ['forged into the vault', 'none'],
    ]);

    bob = await asBob();
    await bob.join('vault');
    const page = await bob.history({ room: 'vault' });
    bob.close();
    const model = new ConversationList<TerminalPicture>('bob');
    model.open('room', 'vault').secret = true;
    for (const message of page.messages) model.addMessage(message, false);
    const lines = model.get(roomKey('vault'))!.entries.flatMap((entry) => entryLines(entry, theme, 'bob'));
    expect(lines.find((l) => l.includes('sealed in the vault'))).not.to.contain('not end-to-end');
    expect(lines.find((l) => l.includes('forged into the vault'))).to.contain("not end-to-end, not the room's");
  });

  it('a sealed DM re-dated by the server (deleted, stored again 3 days later) is flagged, and caught as a replay by a fresh tail with the same config dir', async () => {
    const alice = await world.login('alice');
    await alice.dm('bob', 'meet at noon');
    const first = await tailJson(bobConfig, '--count', '1');
    expect(first.map((l) => [l.text, l.e2e?.state, l.e2e?.timeMismatch])).to.deep.equal([['meet at noon', 'verified', false]]);
    expect(first[0]!.e2e!.sentAt).to.be.a('number');
    expect(Math.abs(first[0]!.e2e!.sentAt! - first[0]!.ts)).to.be.below(60_000);

    // The server deletes the row and stores the same envelope again, with a new id, 3 days on.
    const bob = await asBob();
    const raw = (await bob.request('history', { with: 'alice' })).messages.at(-1)!;
    bob.close();
    const db = new Database(join(dataDir, DATABASE_FILE));
    db.prepare('DELETE FROM messages WHERE id = ?').run(raw.id);
    db.close();
    const [redated] = tamper.appendMessages([{ room: null, to: 'bob', from: 'alice', text: '', ts: raw.ts + 3 * DAY_MS, sealed: raw.sealed! }]);
    expect(redated!.id).to.be.greaterThan(raw.id);

    // A fresh tail with bob's config dir remembers the envelope (in seen_envelopes there): a replay.
    expect(readFileSync(join(bobConfig, SEEN_ENVELOPES_FILE), 'utf8')).to.contain(`${world.server.fingerprint} ${raw.id}`);
    const again = await tailJson(bobConfig, '--count', '1');
    expect(again.map((l) => [l.id, l.e2e?.state, l.e2e?.code])).to.deep.equal([[redated!.id, 'rejected', 'E2E_REPLAYED']]);

    // With a config dir that never saw it (bob's key copied), the signed time still gives it away.
    const elsewhere = tempDir('trust-e2e-bob-copy');
    copyFileSync(join(bobConfig, CLIENT_IDENTITY_FILE), join(elsewhere, CLIENT_IDENTITY_FILE));
    const copied = await tailJson(elsewhere, '--count', '1');
    expect(copied.map((l) => [l.text, l.e2e?.state, l.e2e?.timeMismatch])).to.deep.equal([['meet at noon', 'verified', true]]);
    expect(copied[0]!.ts - copied[0]!.e2e!.sentAt!).to.be.greaterThan(2 * DAY_MS);
    const copiedText = await tailAsBob(elsewhere, '--count', '1');
    expect(copiedText.stdout).to.contain('!! the server dates it');
  });
});
