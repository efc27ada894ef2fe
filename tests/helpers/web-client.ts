// `parlor web` as a child process (its one printed line read for the URL), and Debian's Chromium
// driven by playwright-core (no browser download). Every process and browser started here is
// ended by endWebClients(), which each web test calls in afterEach, pass or fail.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium, type Browser, type Page } from 'playwright-core';
import { buildPage } from '../../src/web/page-bundle.ts';
import { sharedIdentities } from './identities.ts';
import { PARLOR_BIN, startServerProcess } from './server-process.ts';
import { skipOrFail } from './skip.ts';
import { uiHome, type UiHome } from './tmux.ts';
import type { ClientIdentity } from '../../src/crypto/identity.ts';

export const CHROMIUM = process.env.PARLOR_CHROMIUM ?? '/usr/bin/chromium';

const children = new Set<ChildProcess>();
const browsers = new Set<Browser>();
let built: Promise<string> | undefined;

export interface WebProcess {
  child: ChildProcess;
  url: string;
  port: number;
  home: UiHome;
  stderr(): string;
  stop(): Promise<void>;
}

export { freeUdpPort } from './udp-port.ts';

/** The page is built once per test run, from the sources under test. */
export function builtPage(): Promise<string> {
  return (built ??= buildPage());
}

export async function startWebProcess(args: string[], options: { identity?: ClientIdentity; home?: UiHome } = {}): Promise<WebProcess> {
  await builtPage();
  const home = options.home ?? uiHome(options.identity);
  const child = spawn(process.execPath, [PARLOR_BIN, 'web', '--no-open', '--config', home.configDir, '--data', home.dataDir, '--no-mdns', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home.home, XDG_CONFIG_HOME: join(home.home, 'config'), XDG_DATA_HOME: join(home.home, 'data') },
  });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`parlor web printed no URL within 20 s; stderr: ${stderr}`)), 20_000);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const match = /^parlor web: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)$/.exec(line);
      if (match) resolve(match[1]!);
      else reject(new Error(`unexpected first line: ${line}`));
    });
    child.once('exit', () => reject(new Error(`parlor web exited; stderr: ${stderr}`)));
  });
  return {
    child, url, port: Number(new URL(url).port), home, stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Another parlor verb running beside the page (`tail`, say), its stdout lines collected. */
export function startParlorChild(args: string[]): { lines: string[]; stderr(): string; until(match: (line: string) => boolean, what: string): Promise<string> } {
  const child = spawn(process.execPath, [PARLOR_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const until = async (match: (line: string) => boolean, what: string) => {
    for (let i = 0; i < 1500; i++) {
      const found = lines.find(match);
      if (found !== undefined) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`parlor ${args[0]} never printed ${what}; got ${JSON.stringify(lines)}; stderr: ${stderr}`);
  };
  return { lines, stderr: () => stderr, until };
}

export async function launchChromium(context: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) skipOrFail(context, `no Chromium at ${CHROMIUM} (Debian package chromium)`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    // playwright gives each launch a fresh temporary profile (--user-data-dir) and removes it on close.
  });
  browsers.add(browser);
  return browser;
}

/** A fresh tab at the printed URL, at the chat's size; page errors fail the test that reads them. */
export async function openPage(browser: Browser, web: WebProcess, viewport = { width: 1280, height: 800 }): Promise<Page & { errors: string[] }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = Object.assign(await context.newPage(), { errors: [] as string[] });
  page.on('pageerror', (error) => page.errors.push(error.message));
  await page.goto(web.url);
  return page;
}

/** A chat server (ephemeral, join password pw), `parlor web` logged in to it as alice, a tab on it. */
export async function aliceInBrowser(context: Mocha.Context, serverArgs: string[] = [], webArgs: string[] = []) {
  const browser = await launchChromium(context);
  const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw', ...serverArgs]);
  const at = ['--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--fingerprint', server.fingerprint];
  const [identity] = await sharedIdentities();
  const web = await startWebProcess([...at, '--name', 'alice', ...webArgs], { identity: identity! });
  const page = await openPage(browser, web);
  await logIn(page);
  return { browser, server, at, web, page };
}

/** The login room's form sent as it stands (name and password filled by flags or the advert). */
export async function logIn(page: Page): Promise<void> {
  await page.waitForSelector('.login-form');
  await page.click('.login-form button[type=submit]');
  await page.waitForSelector('#input');
  await page.waitForSelector('#messages >> text=Welcome');
}

export async function say(page: Page, text: string): Promise<void> {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
}

/** A message shown in the list: from whom, and its text. */
export function shown(page: Page, from: string, text: string) {
  return page.waitForSelector(`#messages .message:has(.from:text-is("${from}")) .text:text-is("${text}")`);
}

export async function endWebClients(): Promise<void> {
  await Promise.all([...browsers].map((browser) => browser.close().catch(() => {})));
  browsers.clear();
  const running = [...children];
  for (const child of running) child.kill('SIGKILL');
  await Promise.all(running.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
}
