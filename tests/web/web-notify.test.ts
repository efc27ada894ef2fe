// What the page does outside its own document: desktop notifications (the Notification API, asked
// for on first use) for DMs and mentions as `/bell` says, and `!enlightenme`'s article opened in a
// new tab. Real Chromium, a real chat server, bob a real `parlor send`, and a real HTTP server on
// 127.0.0.1 standing in for Wikipedia.

import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { sharedIdentities } from '../helpers/identities.ts';
import { runParlor } from '../helpers/run-parlor.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { endWebClients, launchChromium, logIn, say, startWebProcess, type WebProcess } from '../helpers/web-client.ts';

interface Raised {
  title: string;
  body: string;
}
interface Watched {
  raised: Raised[];
  asked: number;
}

// Runs in the page before its own script (a string: the tests compile without the DOM's types).
// The page raises a notification only while it is not looked at (a visible tab shows the message
// itself), and a headless tab is always visible: the tab is made to report itself hidden, as when
// its user is in another tab. The Notification constructor is the browser's own; this only records
// what the page asked of it.
const WATCH_NOTIFICATIONS = `
  const seen = { raised: [], asked: 0 };
  window.__parlorNotifications = seen;
  Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      seen.raised.push({ title, body: (options && options.body) || '' });
    }
    static get permission() { return Real.permission; }
    static requestPermission() {
      seen.asked += 1;
      return Real.requestPermission();
    }
  }
  window.Notification = Recorded;
`;

function watched(page: Page): Promise<Watched> {
  return page.evaluate('window.__parlorNotifications') as Promise<Watched>;
}

/**
 * Waits until the page has raised `count` notifications. Asked from here, not with waitForFunction:
 * the page's Content-Security-Policy (script-src 'self') forbids the eval that its polling needs.
 */
async function raised(page: Page, count: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if ((await watched(page)).raised.length >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the page raised ${(await watched(page)).raised.length} notifications, not ${count}`);
}

async function openWatchedPage(browser: Browser, web: WebProcess): Promise<{ context: BrowserContext; page: Page & { errors: string[] } }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript({ content: WATCH_NOTIFICATIONS });
  const page = Object.assign(await context.newPage(), { errors: [] as string[] });
  page.on('pageerror', (error) => page.errors.push(error.message));
  await page.goto(web.url);
  return { context, page };
}

/** A round trip through the page's connection: whatever the chat sent before it has been handled. */
async function settled(page: Page): Promise<void> {
  const bellNotices = page.locator('#messages .notice:has-text("bell:")');
  const before = await bellNotices.count();
  await say(page, '/bell');
  await bellNotices.nth(before).waitFor();
}

describe('web: notifications and new tabs', function () {
  this.timeout(90_000);
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) server.closeAllConnections(), server.close();
    await endWebClients();
  });

  async function aliceWatched(context: Mocha.Context, serverArgs: string[] = []) {
    const browser = await launchChromium(context);
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', ...serverArgs]);
    const at = ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--fingerprint', server.fingerprint];
    const [identity] = await sharedIdentities();
    const web = await startWebProcess([...at, '--name', 'alice'], { identity: identity! });
    const { context: browserContext, page } = await openWatchedPage(browser, web);
    await logIn(page);
    return { at, web, page, browserContext };
  }

  it('raises desktop notifications as /bell says: asked for on first use, DMs and mentions, everything, or nothing', async function () {
    const { at, web, page, browserContext } = await aliceWatched(this);
    const bobConfig = tempDir('web-notify-bob');
    const bob = async (...words: string[]) => {
      const sent = await runParlor(['send', ...at, '--name', 'bob', '--config', bobConfig, ...words]);
      expect(sent.code, sent.stderr).to.equal(0);
    };

    // First use: the page asks for permission rather than raising anything.
    await bob('--to', 'alice', 'first whisper');
    await page.waitForSelector('.conversation-item:has-text("@bob") .unread');
    await settled(page);
    expect(await watched(page)).to.deep.equal({ raised: [], asked: 1 });

    // Allowed (as the user's click on the browser's prompt would): /bell mentions, the default,
    // raises one for a DM and one for a mention, none for a plain room line.
    await browserContext.grantPermissions(['notifications'], { origin: new URL(web.url).origin });
    await bob('just chatting');
    await bob('--to', 'alice', 'second whisper');
    await bob('alice: look at this');
    await raised(page, 2);
    await settled(page);
    const mentions = (await watched(page)).raised;
    expect(mentions).to.have.length(2);
    expect(mentions[0]!.title).to.contain('bob');
    expect(mentions[0]!.body).to.contain('second whisper');
    expect(mentions[1]!.body).to.contain('alice: look at this');

    // /bell all: a plain room line too.
    await say(page, '/bell all');
    await page.waitForSelector('#messages .notice:has-text("bell: all")');
    await bob('anyone here');
    await raised(page, 3);
    expect((await watched(page)).raised[2]!.body).to.contain('anyone here');

    // /bell off: not even a DM.
    await say(page, '/bell off');
    await page.waitForSelector('#messages .notice:has-text("bell: off")');
    await bob('--to', 'alice', 'third whisper');
    await page.click('.conversation-item:has-text("@bob")');
    await page.waitForSelector('#messages .message .text:text-is("third whisper")');
    await settled(page);
    expect((await watched(page)).raised).to.have.length(3);
    expect(page.errors).to.deep.equal([]);
  });

  it('!enlightenme opens the random article in a new tab', async function () {
    // The stand-in for Wikipedia: Special:Random redirects to an article, which it serves.
    const wiki = createServer((request, response) => {
      if (request.url === '/wiki/Special:Random') response.writeHead(302, { Location: '/wiki/Ada_Lovelace' }).end();
      else response.writeHead(200, { 'content-type': 'text/html' }).end('<title>Ada Lovelace</title><p>article</p>');
    });
    servers.push(wiki);
    await new Promise<void>((resolve) => wiki.listen(0, '127.0.0.1', resolve));
    const wikiUrl = `http://127.0.0.1:${(wiki.address() as AddressInfo).port}`;
    const { page, browserContext } = await aliceWatched(this, ['--wikipedia-url', wikiUrl]);
    const opened = browserContext.waitForEvent('page');
    await say(page, '!enlightenme');
    const tab = await opened;
    await tab.waitForLoadState();
    expect(tab.url()).to.equal(`${wikiUrl}/wiki/Ada_Lovelace`);
    expect(await tab.title()).to.equal('Ada Lovelace');
    // The chat keeps the link too, for later.
    const link = await page.waitForSelector(`#messages a[href="${wikiUrl}/wiki/Ada_Lovelace"]`);
    expect(await link.getAttribute('target')).to.equal('_blank');
    expect(browserContext.pages()).to.have.length(2);
    expect(page.errors).to.deep.equal([]);
  });
});
