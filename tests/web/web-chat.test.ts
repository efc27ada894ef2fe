// parlor web in Debian's Chromium, end to end with real servers and the other parlor verbs: two
// browser users find a server through the waiting room and chat; a browser user and send/tail
// users exchange room messages and an end-to-end DM; a dropped file arrives whole; !meow shows
// a picture; the page follows the chat server through a restart and sends a line typed meanwhile.

import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { aliceInBrowser, endWebClients, freeUdpPort, launchChromium, logIn, openPage, say, shown, startParlorChild, startWebProcess } from '../helpers/web-client.ts';

// What the page-side callbacks use of the DOM (tests compile without the DOM's types).
declare class DataTransfer {
  items: { add(file: File): void };
}
declare class File {
  constructor(parts: Uint8Array[], name: string);
}
type ImageElement = { complete: boolean; naturalWidth: number };

describe('web: the chat in a browser', function () {
  this.timeout(90_000);
  afterEach(endWebClients);

  it('two browser users find a loopback server in the waiting room, log in, and chat', async function () {
    const browser = await launchChromium(this);
    const discoveryPort = await freeUdpPort();
    await startServerProcess(['--ephemeral', '--password', 'pw', '--name', 'test-parlor', '--discovery-port', String(discoveryPort)]);
    const [a, b] = await sharedIdentities();
    const look = ['--broadcast', '127.255.255.255', '--discovery-port', String(discoveryPort), '--timeout', '1500'];
    const alice = await openPage(browser, await startWebProcess([...look, '--name', 'alice'], { identity: a! }));
    const bob = await openPage(browser, await startWebProcess([...look, '--name', 'bob'], { identity: b! }));
    for (const page of [alice, bob]) {
      const server = await page.waitForSelector('.server:has-text("test-parlor")');
      expect(await server.innerText()).to.match(/127\.0\.0\.1:\d+/).and.contain('SHA256:').and.contain('new');
      // By selector, not by the handle: a later answer may redraw the row before the click.
      await page.click('.server:has-text("test-parlor")');
      // The join password came with the advert: Log in is all it takes.
      expect(await page.inputValue('#login-password')).to.equal('pw');
      await logIn(page);
    }
    await say(alice, 'hello bob');
    await shown(bob, 'alice', 'hello bob');
    await say(bob, '@alice just for you');
    // A direct conversation opens on alice's side, unread, and the tab title counts it.
    await alice.waitForSelector('.conversation-item:has-text("@bob") .unread:text-is("1")');
    expect(await alice.title()).to.equal('(1) parlor');
    await alice.click('.conversation-item:has-text("@bob")');
    await shown(alice, 'bob', 'just for you');
    expect(await alice.innerText('#conversation-title')).to.equal('@bob · end-to-end');
    expect(await alice.title()).to.equal('parlor');
    expect([...alice.errors, ...bob.errors]).to.deep.equal([]);
  });

  it('a browser user and send/tail users share the lobby, and a DM from the page is verified end to end', async function () {
    const { at, page } = await aliceInBrowser(this);
    const tail = startParlorChild(['tail', ...at, '--name', 'bob', '--config', tempDir('web-bob'), '--json', '--timeout', '60']);
    await page.waitForSelector('#messages >> text=bob joined #lobby');
    await say(page, 'hello from the browser');
    await say(page, '@bob sealed hello');
    const room = JSON.parse(await tail.until((l) => l.includes('hello from the browser'), 'the room message')) as Record<string, unknown>;
    expect(room).to.include({ from: 'alice', room: 'lobby' });
    const dm = JSON.parse(await tail.until((l) => l.includes('sealed hello'), 'the DM')) as { from: string; to: string; e2e?: { state: string } };
    expect([dm.from, dm.to, dm.e2e?.state]).to.deep.equal(['alice', 'bob', 'verified']);
    const sent = await runParlor(['send', ...at, '--name', 'carol', '--config', tempDir('web-carol'), 'from', 'the', 'cli']);
    expect(sent.code, sent.stderr).to.equal(0);
    await page.click('.conversation-item:has-text("#lobby")');
    await shown(page, 'carol', 'from the cli');
    expect(page.errors).to.deep.equal([]);
  });

  it('a file dropped on the conversation arrives at a tail --accept-files receiver with the same SHA-256', async function () {
    const { at, page } = await aliceInBrowser(this);
    const inbox = tempDir('web-inbox');
    startParlorChild(['tail', ...at, '--name', 'bob', '--config', tempDir('web-bob'), '--accept-files', inbox, '--timeout', '60']);
    await page.waitForSelector('#messages >> text=bob joined #lobby');
    await say(page, '/msg bob a file comes');
    const bytes = randomBytes(300_000);
    const dropped = await page.evaluateHandle((base64) => {
      const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'photo of us.bin'));
      return transfer;
    }, bytes.toString('base64'));
    await page.dispatchEvent('.conversation', 'drop', { dataTransfer: dropped });
    await page.waitForSelector('.transfer.state-done:has-text("photo of us.bin")');
    let names: string[] = [];
    for (let i = 0; i < 500 && names.length === 0; i++) {
      names = readdirSync(inbox).filter((n) => !n.startsWith('.'));
      if (names.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(names).to.deep.equal(['photo of us.bin']);
    expect(createHash('sha256').update(readFileSync(join(inbox, names[0]!))).digest('hex')).to.equal(createHash('sha256').update(bytes).digest('hex'));
    expect(page.errors).to.deep.equal([]);
  });

  it('!meow shows its picture inline, to the caller alone, served with its checked type', async function () {
    const { web, page } = await aliceInBrowser(this);
    await say(page, '!meow');
    const image = await page.waitForSelector('#messages img.picture');
    await page.waitForFunction((img) => (img as unknown as ImageElement).complete, image);
    expect(await image.evaluate((img) => (img as unknown as ImageElement).naturalWidth)).to.be.greaterThan(0);
    expect(await page.innerText('#messages .bot-head')).to.contain('(only you)');
    const src = await image.getAttribute('src');
    const answer = await page.evaluate(async (path) => {
      const response = await fetch(path!);
      return { type: response.headers.get('content-type'), sniff: response.headers.get('x-content-type-options') };
    }, src);
    expect(answer.type).to.match(/^image\/(png|jpeg|webp|gif)$/);
    expect(answer.sniff).to.equal('nosniff');
    expect(readdirSync(join(web.home.dataDir, 'receivedcats'))).to.have.length(1);
  });

  it('follows the chat server through a restart and sends a line typed while it was away', async function () {
    const browser = await launchChromium(this);
    const data = tempDir('web-restart');
    const first = await startServerProcess(['--data', data, '--no-discovery', '--password', 'pw']);
    const [a] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${first.port}`, '--password', 'pw', '--name', 'alice'], { identity: a! }));
    await logIn(page);
    await first.stop();
    await page.waitForSelector('#status >> text=reconnecting');
    await say(page, 'typed while away');
    await page.waitForSelector('#messages >> text=this goes out once parlor has reconnected');
    await startServerProcess(['--data', data, '--no-discovery', '--password', 'pw', '--port', String(first.port)]);
    await page.waitForSelector('#status >> text=● connected', { timeout: 60_000 });
    await shown(page, 'alice', 'typed while away');
    const tail = await runParlor(['tail', '--server', `127.0.0.1:${first.port}`, '--password', 'pw', '--name', 'bob', '--config', tempDir('web-bob'), '--json', '--count', '1', '--timeout', '20']);
    expect(tail.stdout).to.contain('typed while away');
  });
});
