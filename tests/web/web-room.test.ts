// The chat room's heavier parts in Debian's Chromium: a peer's changed key (the red warning with
// both fingerprints, messages held, /trust with the fingerprint read out); a file over the
// auto-accept size asked with Accept/Decline, then downloaded as an attachment; /export in the
// terminal's format and /whois; "host a server here" from the waiting room; a released name.

import { expect } from 'chai';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChatClient } from '../../src/client/chat-client.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { uiHome } from '../helpers/tmux.ts';
import { aliceInBrowser, endWebClients, freeUdpPort, launchChromium, logIn, openPage, say, shown, startParlorChild, startWebProcess } from '../helpers/web-client.ts';

/** A received file's name is network text too: it must not become markup anywhere. */
const NAME = '<b onclick=x>report.html';

describe('web: the chat room', function () {
  this.timeout(120_000);
  const peers: ChatClient[] = [];
  afterEach(async () => {
    for (const chat of peers.splice(0)) chat.close();
    await endWebClients();
  });

  it("shows a peer's changed key as a red warning with both fingerprints, holds their messages, and /trust opens them", async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', '--name-reservation-days', '0']);
    const [a, first, second] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'alice'], { identity: a! }));
    await logIn(page);
    const connect = (identity: typeof first) => ChatClient.connect({ host: server.host, port: server.port, identity: identity!, name: 'bob', password: 'pw', configDir: tempDir('web-bob'), reconnect: false });
    const bob = await connect(first);
    await bob.dm('alice', 'from the first key');
    bob.close();
    await page.click('.conversation-item:has-text("@bob")');
    await shown(page, 'bob', 'from the first key');
    // The name's reservation lapsed at once: another key logs in as bob.
    const impostor = await connect(second);
    peers.push(impostor);
    await impostor.dm('alice', 'from the second key');
    const warning = await page.waitForSelector('#messages .tone-alarm[role="alert"]');
    const text = await warning.innerText();
    expect(text).to.contain("WARNING: BOB'S IDENTITY KEY HAS CHANGED!").and.contain(first!.fingerprint).and.contain(second!.fingerprint).and.contain('/trust bob');
    await page.waitForSelector(`#messages >> text=message from bob held: bob's key changed`);
    expect(await page.$$('#messages .text:text-is("from the second key")')).to.have.length(0);
    await say(page, 'are you there?');
    await page.waitForSelector('#messages >> text=not sent (E2E_PEER_KEY_CHANGED)');
    await say(page, `/trust bob ${first!.fingerprint}`);
    await page.waitForSelector('#messages >> text=FINGERPRINT_MISMATCH: not trusted: bob presents the key');
    await say(page, `/trust bob ${second!.fingerprint}`);
    await page.waitForSelector('#messages >> text=1 of 1 held message opened');
    await shown(page, 'bob', 'from the second key');
    expect(page.errors).to.deep.equal([]);
  });

  it('says, as the terminal does, that an operator released the name to the key that logged in now', async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', '--operator-password', 'op-secret']);
    const [newKey, oldKey, opKey] = await sharedIdentities();
    const connect = async (name: string, identity: typeof newKey) => {
      const chat = await ChatClient.connect({ host: server.host, port: server.port, identity: identity!, name, password: 'pw', configDir: uiHome().configDir, fingerprint: server.fingerprint, reconnect: false });
      peers.push(chat);
      return chat;
    };
    // alice's name is bound to her old key; she is gone, and the name is kept for it.
    (await connect('alice', oldKey)).close();
    const op = await connect('op', opKey);
    await op.op('op-secret');
    await op.command('!release alice');
    const web = await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--fingerprint', server.fingerprint, '--name', 'alice'], { identity: newKey! });
    const page = await openPage(browser, web);
    await logIn(page);
    await page.waitForSelector('#messages >> text=the name alice was released by an operator (op)');
    expect(page.errors).to.deep.equal([]);
  });

  it('asks with Accept/Decline for a file over the auto-accept size, then serves it only as an attachment', async function () {
    const { at, web, page } = await aliceInBrowser(this, [], ['--max-auto-accept-bytes', '1000']);
    const file = join(tempDir('web-send'), NAME);
    const body = '<script>parent.canary = 1</script>'.repeat(100);
    writeFileSync(file, body);
    const sender = startParlorChild(['sendfile', ...at, '--name', 'bob', '--config', tempDir('web-bob'), '--to', 'alice', '--json', file]);
    await page.click('.conversation-item:has-text("@bob")');
    const accept = await page.waitForSelector('.transfer.state-asking button.accept');
    expect(await page.innerText('.transfer.state-asking')).to.contain(NAME).and.contain('Decline');
    await accept.click();
    const link = await page.waitForSelector('.transfer.state-done a.download');
    await sender.until((line) => line.includes('"received"'), 'its outcome');
    const href = await link.getAttribute('href');
    const answer = await page.evaluate(async (path) => {
      const response = await fetch(path!);
      return { status: response.status, type: response.headers.get('content-type'), disposition: response.headers.get('content-disposition'), sniff: response.headers.get('x-content-type-options'), body: await response.text() };
    }, href);
    expect(answer).to.deep.include({ status: 200, type: 'application/octet-stream', sniff: 'nosniff', body });
    // Saved, and served, under the safe name this client chose, not the one the sender wrote.
    const saved = readdirSync(join(web.home.dataDir, 'downloads'));
    expect(saved).to.have.length(1);
    expect(saved[0]).to.not.contain('<');
    expect(answer.disposition).to.equal(`attachment; filename="${saved[0]}"; filename*=UTF-8''${encodeURIComponent(saved[0]!)}`);
    expect(readFileSync(join(web.home.dataDir, 'downloads', saved[0]!), 'utf8')).to.equal(body);
    // A number the page was not given is not found; a path is not a number.
    expect(await page.evaluate(async () => [(await fetch('/files/99')).status, (await fetch('/files/..%2F..%2Fetc%2Fpasswd')).status])).to.deep.equal([404, 404]);
    expect(await page.evaluate(() => (globalThis as { canary?: unknown }).canary)).to.equal(undefined);
  });

  it('/export downloads the conversation in the terminal\'s format; /whois shows a key and its trust', async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [a, b] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'alice'], { identity: a! }));
    await logIn(page);
    const bob = await ChatClient.connect({ host: server.host, port: server.port, identity: b!, name: 'bob', password: 'pw', configDir: tempDir('web-bob'), reconnect: false });
    peers.push(bob);
    await bob.join('lobby');
    await bob.say('lobby', 'line one\nline two');
    await say(page, 'my answer');
    await shown(page, 'alice', 'my answer');
    const [download] = await Promise.all([page.waitForEvent('download'), say(page, '/export')]);
    expect(download.suggestedFilename()).to.match(/^lobby-\d{8}-\d{6}\.txt$/);
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text).to.match(/^parlor: #lobby\nexported \d{4}-\d\d-\d\d \d\d:\d\d:\d\d, 2 messages\n\n\[[-\d :]+\] bob: line one\n {4}line two\n\[[-\d :]+\] alice: my answer\n$/);
    await say(page, '/whois bob');
    const whois = await page.waitForSelector(`#messages .notice:has-text("key ${b!.fingerprint}")`);
    expect(await whois.innerText()).to.contain('bob · online now').and.contain("new: you have not seen bob's key before");
  });

  it("blocks login behind a red warning when the server's key changed, until the user types yes", async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [a] = await sharedIdentities();
    const home = uiHome(a);
    const stale = 'SHA256:' + 'A'.repeat(43);
    writeFileSync(join(home.configDir, 'known_servers'), `address ${stale} 127.0.0.1:${server.port}\n`);
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'alice'], { home }));
    await page.waitForSelector('.login-form');
    await page.click('.login-form button[type=submit]');
    const warning = await page.waitForSelector('.key-changed[role="alert"]');
    expect(await warning.innerText()).to.contain("THE SERVER'S IDENTITY KEY HAS CHANGED").and.contain(stale).and.contain(server.fingerprint);
    await page.click('.login-form button[type=submit]');
    await page.waitForSelector('#login-accept-error >> text=only if its operator confirmed');
    await page.fill('#login-accept', 'yes');
    await page.click('.login-form button[type=submit]');
    await page.waitForSelector('#status >> text=connected');
    expect(readFileSync(join(home.configDir, 'known_servers'), 'utf8')).to.contain(server.fingerprint).and.not.contain(stale);
  });

  it('hosts a server from the waiting room and logs in to it with the generated password', async function () {
    const browser = await launchChromium(this);
    const discoveryPort = await freeUdpPort();
    const [a] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--broadcast', '127.255.255.255', '--discovery-port', String(discoveryPort), '--timeout', '500', '--serve-host', '127.0.0.1', '--serve-port', '0', '--name', 'host'], { identity: a! }));
    await page.waitForSelector('.hints >> text=Nothing answered');
    await page.click('button:has-text("Host a server here")');
    await page.waitForSelector('.login-form');
    expect(await page.innerText('.about')).to.match(/this server runs here; join password \S+, operator password \S+/);
    await logIn(page);
    await page.waitForSelector('#status >> text=hosting, password');
  });
});
