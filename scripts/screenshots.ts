// Retakes the screenshots in docs/screenshots/: real UIs in tmux with tmux's own TERM, against a
// server on loopback, captured as plain text (.txt) and with their colours (.ansi, `cat` it).
// Run: `node --import tsx scripts/screenshots.ts` (needs tmux). Discovery stays on loopback.

import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatClient } from '../src/client/chat-client.ts';
import { sharedIdentities } from '../tests/helpers/identities.ts';
import { removeTempDirs, tempDir } from '../tests/helpers/temp-dir.ts';
import { startServerProcess, type ServerProcess } from '../tests/helpers/server-process.ts';
import { loggedInUi } from '../tests/helpers/tmux-chat.ts';
import { killTmuxSessions, TmuxUi, tmuxDefaultTerm, uiHome } from '../tests/helpers/tmux.ts';
import { freeUdpPort } from '../tests/helpers/udp-port.ts';

// Homes, downloads and the files sent (a 700 MiB one among them) go with the run, however it ends.
process.on('exit', removeTempDirs);

const out = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const term = tmuxDefaultTerm();
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes the screen as text and, with `ansi`, with its colours; trailing blanks trimmed. */
function save(ui: TmuxUi, name: string, kinds: Array<'txt' | 'ansi'> = ['txt', 'ansi']): void {
  for (const kind of kinds) {
    const screen = ui.capture(kind === 'ansi').replace(/\n+$/, '\n');
    writeFileSync(join(out, `${name}.${kind}`), screen);
  }
  console.log(`saved ${name} (${kinds.join(', ')})`);
}

function login(server: ServerProcess, name: string, index: number, options: { width?: number; height?: number; env?: Record<string, string>; args?: string[] } = {}): Promise<TmuxUi> {
  return loggedInUi(server, name, index, { width: 80, height: 24, ...options, env: { TERM: term, ...options.env }, password: 'coffee-time' });
}

const discoveryPort = await freeUdpPort();
const server = await startServerProcess(['--ephemeral', '--name', 'office-chat', '--password', 'coffee-time', '--discovery-port', String(discoveryPort)]);
try {
  // The waiting room and the login room, found by broadcast on loopback.
  const finder = TmuxUi.start(['--broadcast', '127.255.255.255', '--no-mdns', '--discovery-port', String(discoveryPort), '--timeout', '1000', '--name', 'alice'], {
    home: uiHome((await sharedIdentities())[0]),
    env: { TERM: term },
  });
  await finder.waitFor('Search finished');
  save(finder, 'waiting-room-80x24', ['txt']);
  finder.keys('Enter');
  await finder.waitFor('parlor: log in');
  await pause(300);
  save(finder, 'login-room-80x24', ['txt']);
  finder.kill();
  await pause(1000);

  // The chat room: two people in the lobby, a mention, a long line, the bot.
  const [alice, bob] = [await login(server, 'alice', 0), await login(server, 'bob', 1)];
  alice.line("morning all, coffee's on");
  await bob.waitFor("alice: morning all, coffee's on");
  bob.line('morning alice! anyone seen the deploy notes? the link in the wiki points to last year’s page');
  await alice.waitFor('bob ▸ morning alice!');
  alice.line('@bob they moved to the ops folder');
  await alice.waitFor('to @bob');
  alice.keys('C-p');
  await alice.waitFor('to #lobby');
  alice.line('!echo deploy at 3, everyone');
  await alice.waitFor('deploy at 3, everyone');
  await pause(300);
  save(alice, 'chat-room-80x24');
  alice.line('/theme light');
  await pause(800);
  save(alice, 'chat-room-light-80x24', ['ansi']);
  alice.line('/theme nord');
  await pause(300);

  // A secret room, from bob's side.
  alice.line('/create vault --secret');
  await alice.waitFor('created and joined #vault');
  bob.line('/join vault');
  await bob.waitFor('joined #vault');
  alice.line('the launch date is in here, not in #lobby');
  await bob.waitFor('alice: the launch date');
  bob.line('got it, sealed to both of us');
  await bob.waitFor('bob: got it');
  await pause(300);
  save(bob, 'chat-room-secret-80x24');
  alice.kill();
  bob.kill();
  // tmux's server ends with its last session: let it go before the next one starts.
  await pause(1000);

  // A picture, in 256 colours and in 24-bit.
  for (const [file, env] of [['chat-room-meow-120x32', {}], ['chat-room-meow-truecolor-120x32', { COLORTERM: 'truecolor' }]] as const) {
    const cat = await login(server, 'alice', 0, { width: 120, height: 32, env });
    cat.line('!meow');
    await cat.waitFor('picture saved:');
    await pause(500);
    save(cat, file, file.includes('truecolor') ? ['ansi'] : ['txt', 'ansi']);
    cat.kill();
    await pause(1000);
  }
} finally {
  killTmuxSessions();
  await server.stop();
}

// Files between two people, and a peer's changed key: a server whose names lapse at once.
await pause(1000);
const second = await startServerProcess(['--ephemeral', '--name', 'office-chat', '--password', 'coffee-time', '--name-reservation-days', '0']);
try {
  const files = tempDir('screenshot-files');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'photos.zip'), '');
  truncateSync(join(files, 'photos.zip'), 12 * 1024 * 1024);
  writeFileSync(join(files, 'holiday video.mkv'), '');
  truncateSync(join(files, 'holiday video.mkv'), 700 * 1024 * 1024);
  const alice = await login(second, 'alice', 0);
  const bob = await login(second, 'bob', 1, { args: ['--max-auto-accept-bytes', String(256 * 1024 * 1024)] });
  alice.line('@bob the pictures and the video from Saturday');
  await bob.waitFor('@alice (1)');
  bob.keys('C-n');
  await bob.waitFor('to @alice');
  bob.line('thanks! send them over');
  await alice.waitFor('bob: thanks!');
  alice.line(`/file bob ${join(files, 'photos.zip')}`);
  await alice.waitFor('✓ sent to bob');
  alice.line(`/file bob ${join(files, 'holiday video.mkv')}`);
  await bob.waitFor('/accept 2 or /decline 2');
  await pause(300);
  save(bob, 'chat-room-file-offer-80x24');
  bob.line('/accept 2');
  await alice.waitFor(/ [1-9]\d?% · /, 30_000);
  save(alice, 'chat-room-file-sending-80x24');
  save(bob, 'chat-room-file-receiving-80x24', ['txt']);
  await alice.waitFor('sent to bob', 60_000);
  alice.kill();
  bob.kill();
  await pause(1000);

  const [, first, other] = await sharedIdentities();
  const watcher = await login(second, 'alice', 0);
  watcher.line('/create vault --secret');
  await watcher.waitFor('created and joined #vault');
  const connect = (identity: typeof first) =>
    ChatClient.connect({ host: second.host, port: second.port, identity: identity!, name: 'bob', password: 'coffee-time', configDir: uiHome().configDir, reconnect: false });
  const bobFirst = await connect(first);
  await bobFirst.join('vault');
  await bobFirst.say('vault', 'got it, sealed to both of us');
  bobFirst.close();
  const impostor = await connect(other);
  await impostor.join('vault');
  await impostor.say('vault', 'new laptop, same bob');
  await watcher.waitFor("message from bob held: bob's key");
  await pause(300);
  save(watcher, 'chat-room-key-changed-80x24');
  watcher.line(`/trust bob ${other!.fingerprint}`);
  await watcher.waitFor('held message opened');
  await pause(300);
  save(watcher, 'chat-room-key-trusted-80x24', ['txt']);
  impostor.close();
} finally {
  killTmuxSessions();
  await second.stop();
}
