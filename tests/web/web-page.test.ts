// The page itself in Debian's Chromium: hostile text stays text (a canary no script may touch);
// /theme repaints and survives a reload, in the terminal UI's settings file; 1,000 messages of
// history scroll without all being in the DOM; the keyboard alone drives it, with landmarks and
// labels for a screen reader; and the README's screenshots, in each theme at two sizes.

import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatClient } from '../../src/client/chat-client.ts';
import { THEME_NAMES } from '../../src/shared/themes.ts';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess, type ServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { aliceInBrowser, endWebClients, freeUdpPort, launchChromium, logIn, openPage, say, shown, startWebProcess } from '../helpers/web-client.ts';

/**
 * The README's pictures are retaken on purpose (PARLOR_UPDATE_SCREENSHOTS=1): a test run writes
 * its own in a temp dir, so that `npm test` leaves the clone as it found it.
 */
function screenshotsDir(): string {
  return process.env.PARLOR_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url)) : tempDir('web-screenshots');
}
type ParlorWindow = { parlor: { rendered: number; total: number }; canary?: unknown; document: { body: unknown } };
declare const window: ParlorWindow;
declare function getComputedStyle(element: unknown): { backgroundColor: string };

/** A PNG's width and height, from its IHDR chunk (right after the 8-byte signature). */
function pngSize(path: string): { width: number; height: number } {
  const png = readFileSync(path);
  expect(png.subarray(12, 16).toString('ascii'), `${path} is not a PNG`).to.equal('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

async function peer(server: ServerProcess, name: string, index: number): Promise<ChatClient> {
  const identities = await sharedIdentities();
  return ChatClient.connect({ host: '127.0.0.1', port: server.port, identity: identities[index]!, configDir: tempDir(`web-${name}`), fingerprint: server.fingerprint, name, password: 'pw', reconnect: false });
}

describe('web: the page', function () {
  this.timeout(120_000);
  const peers: ChatClient[] = [];
  afterEach(async () => {
    for (const chat of peers.splice(0)) chat.close();
    await endWebClients();
  });

  it('renders hostile messages as inert text: no script runs, no element is made, only http(s) links', async function () {
    const { server, page } = await aliceInBrowser(this, ['--max-message-bytes', '65536']);
    const mallory = await peer(server, 'mallory', 1);
    peers.push(mallory);
    await mallory.join('lobby');
    const hostile = [
      "<script>window.canary = 'script'</script>",
      `<img src=x onerror="window.canary = 'img'">`,
      "javascript:window.canary='link' and [click](javascript:alert(1))",
      'see https://example.invalid/page?q=1 for more',
      'invoice\u202Efdp.exe \u2066isolated\u2069',
      `${'<b>'.repeat(4000)}${'x'.repeat(50_000)}`,
    ];
    for (const text of hostile) await mallory.say('lobby', text);
    await shown(page, 'mallory', hostile[0]!);
    await page.waitForSelector('#messages .message:has(.from:text-is("mallory")) >> nth=5');
    expect(await page.evaluate(() => window.canary)).to.equal(undefined);
    expect(await page.$$('#messages script, #messages img, #messages b, #messages iframe')).to.have.length(0);
    const links = await page.$$eval('#messages a', (as) => as.map((a) => [(a as unknown as { href: string }).href, (a as unknown as { rel: string }).rel, (a as unknown as { target: string }).target]));
    expect(links).to.deep.equal([['https://example.invalid/page?q=1', 'noopener noreferrer', '_blank']]);
    await page.waitForSelector('#messages .text:has-text("invoice<U+202E>fdp.exe <U+2066>isolated<U+2069>")');
    // The long line is cut on screen, and says so.
    expect(await page.innerText('#messages .cut')).to.match(/more characters not shown/);
    expect(page.errors).to.deep.equal([]);
  });

  it('/theme light repaints the page, is kept in the UI settings file, and survives a reload', async function () {
    const { web, page } = await aliceInBrowser(this);
    const background = () => page.evaluate(() => getComputedStyle(window.document.body).backgroundColor);
    expect(await background()).to.equal('rgb(46, 52, 64)');
    await say(page, '/theme light');
    await page.waitForSelector('html[data-theme="light"]');
    expect(await background()).to.equal('rgb(250, 250, 250)');
    expect(JSON.parse(readFileSync(join(web.home.configDir, 'ui.json'), 'utf8'))).to.include({ theme: 'light' });
    await page.reload();
    await page.waitForSelector('#messages >> text=theme light');
    expect(await background()).to.equal('rgb(250, 250, 250)');
    expect(await page.inputValue('#theme')).to.equal('light');
  });

  it('scrolls back through 1,000 messages of history with at most 240 of them in the DOM', async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', '--rate', '100000', '--burst', '100000']);
    const bob = await peer(server, 'bob', 1);
    peers.push(bob);
    await bob.join('lobby');
    for (let i = 0; i < 1000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => bob.say('lobby', `message ${i + j}`)));
    const [a] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'alice'], { identity: a! }));
    await logIn(page);
    for (let i = 0; i < 200; i++) {
      const done = await page.evaluate(() => {
        const list = (window.document as unknown as { getElementById(id: string): { scrollTop: number; innerText: string } }).getElementById('messages');
        list.scrollTop = 0;
        return list.innerText.includes('message 0\n') || list.innerText.endsWith('message 0');
      });
      if (done) break;
      await page.waitForTimeout(50);
    }
    await page.waitForSelector('#messages .text:text-is("message 0")');
    const counts = await page.evaluate(() => ({ rendered: window.parlor.rendered, total: window.parlor.total, rows: (window.document as unknown as { querySelectorAll(s: string): { length: number } }).querySelectorAll('#messages .row').length }));
    expect(counts.total).to.be.at.least(1000);
    expect(counts.rendered).to.be.at.most(240);
    expect(counts.rows).to.equal(counts.rendered);
  });

  it('works from the keyboard alone, with landmarks, labels and the messages as a log', async function () {
    const browser = await launchChromium(this);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw']);
    const [a] = await sharedIdentities();
    const page = await openPage(browser, await startWebProcess(['--server', `127.0.0.1:${server.port}`, '--name', 'alice'], { identity: a! }));
    await page.waitForSelector('.login-form');
    // Focus starts in the form; the password is typed and Enter logs in.
    await page.keyboard.type('pw');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#messages >> text=Welcome');
    expect(await page.evaluate(() => (window.document as unknown as { activeElement: { id: string } }).activeElement.id)).to.equal('input');
    await page.keyboard.type('/cre');
    await page.keyboard.press('Tab');
    // Completion is answered by the local process: wait for it rather than read at once.
    await page.waitForFunction(() => (window.document as unknown as { getElementById(id: string): { value: string } | null }).getElementById('input')?.value === '/create ', undefined, { timeout: 10_000 });
    expect(await page.inputValue('#input')).to.equal('/create ');
    await page.keyboard.type('garden');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#conversation-title:text-is("#garden")');
    await page.keyboard.press('ArrowUp');
    expect(await page.inputValue('#input')).to.equal('/create garden');
    await page.keyboard.press('Escape');
    await page.fill('#input', '');
    await page.keyboard.press('Alt+ArrowUp');
    await page.waitForSelector('#conversation-title:text-is("#lobby")');
    for (const [role, name] of [['banner', undefined], ['main', undefined], ['navigation', 'Conversations'], ['complementary', 'Members'], ['log', 'Messages'], ['textbox', 'Message'], ['combobox', 'Theme']] as const) {
      expect(await page.getByRole(role, name === undefined ? {} : { name }).count(), `${role} ${name ?? ''}`).to.equal(1);
    }
    expect(await page.getAttribute('#messages', 'aria-live')).to.equal('polite');
  });

  it('says why it cannot reconnect: the parlor web process stopped, or a new one runs that this tab has no pass for', async function () {
    const { at, web, page } = await aliceInBrowser(this);
    await web.stop();
    await page.waitForSelector('#status:has-text("your parlor web process is not running")');
    // A new `parlor web` on the same port makes a new pass: this tab's cookie is the old one's.
    const again = await startWebProcess([...at, '--name', 'alice', '--port', String(web.port)], { home: web.home });
    expect(again.port).to.equal(web.port);
    await page.waitForSelector('#status:has-text("this tab belongs to an earlier parlor web")');
    // The address the new process printed opens the chat again.
    await page.goto(again.url);
    await logIn(page);
    expect(await page.innerText('#status')).to.contain('connected');
  });

  it('takes the README\'s screenshots: each theme at 1280x800 and 390x844', async function () {
    const browser = await launchChromium(this);
    const discoveryPort = await freeUdpPort();
    const server = await startServerProcess(['--ephemeral', '--password', 'pw', '--name', 'office-chat', '--discovery-port', String(discoveryPort)]);
    const [a] = await sharedIdentities();
    const web = await startWebProcess(['--broadcast', '127.255.255.255', '--discovery-port', String(discoveryPort), '--timeout', '1500', '--name', 'alice'], { identity: a! });
    const screenshots = screenshotsDir();
    mkdirSync(screenshots, { recursive: true });
    const wide = await openPage(browser, web);
    await wide.waitForSelector('.searching:not(.busy)');
    await wide.screenshot({ path: join(screenshots, 'web-waiting-nord-1280x800.png') });
    await wide.click('.server:has-text("office-chat")');
    await wide.waitForSelector('.login-form');
    await wide.screenshot({ path: join(screenshots, 'web-login-nord-1280x800.png') });
    await logIn(wide);
    const bob = await peer(server, 'bob', 1);
    const carol = await peer(server, 'carol', 2);
    peers.push(bob, carol);
    // The picture first, so that the conversation below it is what the screenshots show.
    await say(wide, '!meow');
    await wide.waitForSelector('#messages img.picture');
    await bob.join('lobby');
    await carol.join('lobby');
    await bob.say('lobby', 'morning all! the coffee machine is fixed ☕');
    await carol.say('lobby', '@alice did you get the slides? https://example.invalid/slides');
    await say(wide, 'yes, thanks carol: sending them now');
    await bob.say('lobby', 'is the demo still at 3?');
    await bob.dm('alice', 'can you review my patch before the demo?');
    await shown(wide, 'bob', 'is the demo still at 3?');
    const narrow = await openPage(browser, web, { width: 390, height: 844 });
    await narrow.waitForSelector('#messages img.picture');
    for (const theme of THEME_NAMES) {
      await wide.selectOption('#theme', theme);
      for (const page of [wide, narrow]) {
        await page.waitForSelector(`html[data-theme="${theme}"]`);
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(undefined))));
      }
      await wide.screenshot({ path: join(screenshots, `web-${theme}-1280x800.png`) });
      await narrow.screenshot({ path: join(screenshots, `web-${theme}-390x844.png`) });
    }
    for (const theme of THEME_NAMES) {
      expect(pngSize(join(screenshots, `web-${theme}-1280x800.png`))).to.deep.equal({ width: 1280, height: 800 });
      expect(pngSize(join(screenshots, `web-${theme}-390x844.png`))).to.deep.equal({ width: 390, height: 844 });
    }
    const sent = await runParlor(['send', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'dave', '--config', tempDir('web-dave'), 'hi']);
    expect(sent.code).to.equal(0);
    expect([...wide.errors, ...narrow.errors]).to.deep.equal([]);
  });
});

declare function requestAnimationFrame(callback: () => void): number;
