// What a room sees when an operator acts (issue 16): a kick or ban is said as such, with who and
// why, in the UI and in `parlor tail` (text and --json); after `!quit` the others see the server's
// reason; after `!exit` the caller's UI says "bye" and never "reconnecting".

import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { connectChat, nextEvent, waitUntil } from '../helpers/chat-clients.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { PARLOR_BIN, startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { skipOrFail } from '../helpers/skip.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { hasTmux, killTmuxSessions } from '../helpers/tmux.ts';
import { loggedInUi } from '../helpers/tmux-chat.ts';

const OPERATOR = 'the operator password';

/** A screen as one line of text: a notice wrapped in the messages pane reads as it was said. */
const flat = (screen: string): string => screen.replace(/[\s│]+/g, ' ');
/** The join password loggedInUi types. */
const JOIN_PASSWORD = 'pw';

describe('ui/moderation: kicks, bans, !quit and !exit as the others see them (tmux)', function () {
  this.timeout(60_000);
  const children: ChildProcess[] = [];

  before(function () {
    if (!hasTmux()) skipOrFail(this, 'tmux is not installed');
  });
  afterEach(() => {
    configs.clear();
    for (const child of children.splice(0)) child.kill('SIGKILL');
    killTmuxSessions();
  });

  const start = () => startServerProcess(['--ephemeral', '--no-discovery', '--password', JOIN_PASSWORD, '--operator-password', OPERATOR]);
  /** One config dir (so one identity) per name, as on each person's own machine. */
  const configs = new Map<string, string>();
  const as = (server: ServerProcess, name: string) => {
    if (!configs.has(name)) configs.set(name, tempDir(`cfg-${name}`));
    return ['--server', `${server.host}:${server.port}`, '--password', JOIN_PASSWORD, '--name', name, '--config', configs.get(name)!, '--fingerprint', server.fingerprint];
  };

  /** `parlor tail` as `name`, its stdout lines collected as they come. */
  function tail(server: ServerProcess, name: string, json: boolean): string[] {
    const child = spawn(process.execPath, [PARLOR_BIN, 'tail', ...as(server, name), '--history', '0', '--timeout', '50', ...(json ? ['--json'] : [])], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    const lines: string[] = [];
    createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
    return lines;
  }

  it('a kick and a ban say who did it and why, in the UI and in tail (text and --json)', async () => {
    const server = await start();
    const [, bobKey, eveKey] = await sharedIdentities();
    const ui = await loggedInUi(server, 'cy', 0);
    const text = tail(server, 'dee', false);
    const json = tail(server, 'fay', true);
    // Both tails are in the lobby before anything they must see happens.
    await ui.waitFor('dee joined #lobby', 20_000);
    await ui.waitFor('fay joined #lobby', 20_000);
    const bob = await connectChat(server, bobKey!, 'bob', { password: JOIN_PASSWORD });
    const bobClosed = nextEvent(bob, 'closed', 30_000);
    await bob.join('lobby');
    const eve = await connectChat(server, eveKey!, 'eve', { password: JOIN_PASSWORD });
    await eve.join('lobby');
    await ui.waitFor('eve joined #lobby');
    await waitUntil(() => text.some((line) => line.includes('eve joined')), 'tail to see eve join');

    const kicked = await runParlor(['send', ...as(server, 'op'), '--op', OPERATOR, '!kick bob flooding the lobby']);
    expect(kicked.code, kicked.stderr).to.equal(0);
    const banned = await runParlor(['send', ...as(server, 'op'), '--op', OPERATOR, '!ban eve']);
    expect(banned.code, banned.stderr).to.equal(0);

    const screen = flat(await ui.waitFor((shown) => flat(shown).includes('eve was banned by op')));
    expect(screen).to.contain('bob was kicked by op: flooding the lobby');
    expect(screen).not.to.contain('bob disconnected from');
    await waitUntil(() => text.some((line) => line.includes('eve was banned')), 'tail to print the ban', 10_000, () => text.join('\n'));
    expect(text).to.include.members(['-- bob was kicked by op: flooding the lobby', '-- eve was banned by op']);
    await waitUntil(() => json.some((line) => line.includes('"banned"')), 'tail --json to print the ban', 10_000, () => json.join('\n'));
    const departures = json.map((line) => JSON.parse(line) as Record<string, unknown>).filter((event) => event.type === 'left');
    expect(departures).to.deep.equal([
      { type: 'left', room: 'lobby', name: 'bob', reason: 'disconnected', moderation: { action: 'kicked', by: 'op', reason: 'flooding the lobby' } },
      { type: 'left', room: 'lobby', name: 'eve', reason: 'disconnected', moderation: { action: 'banned', by: 'op', reason: '' } },
    ]);
    expect((await bobClosed)[0].reason).to.include({ code: 'KICKED', message: 'bob was kicked by op: flooding the lobby' });
  });

  it("after !exit the caller's UI says bye and never reconnecting; after !quit the others see who stopped the server", async () => {
    const server = await start();
    const ada = await loggedInUi(server, 'ada', 0);
    const bob = await loggedInUi(server, 'bob', 1);
    ada.line('!exit');
    const left = await ada.waitFor('the server let you go');
    expect(left).to.contain('bye');
    expect(left).not.to.contain('reconnecting');
    // Later too: nothing tries to come back. A fixed wait on purpose: it proves that no reconnect
    // attempt shows within it (the first would come after 250 ms).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(ada.capture()).not.to.match(/reconnecting|connection lost/);

    const quit = await runParlor(['send', ...as(server, 'op'), `!quit ${OPERATOR}`]);
    expect(quit.code, quit.stderr).to.equal(0);
    const screen = await bob.waitFor('op stopped the server');
    // One notice (wrapped at 80 columns): the code, then the server's reason.
    expect(flat(screen), screen).to.match(/connection lost \(SERVER_SHUTDOWN\): op stopped the server/);
  });
});
