// Benchmark "web": `parlor web` as a user meets it, in Debian's Chromium (playwright-core, no
// browser download). Figures: from spawning `parlor web` to the waiting room drawn in the page
// (the server found by a probe to 127.255.255.255 on the server's own discovery port); from
// pressing Log in to #lobby shown; from there to the first of 10,000 messages of history shown by
// scrolling up, with how many entries the DOM held at most (the list is windowed); the page's JS
// gzipped; and the local process's RSS with the 10,000 messages held. Three rounds, a fresh
// `parlor web` each; medians printed. Targets are printed, never asserted.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { ChatClient } from '../src/client/chat-client.ts';
import { generateClientIdentity } from '../src/crypto/identity.ts';
import { buildPage } from '../src/web/page-bundle.ts';
import { stopChild, track } from './lib/children.ts';
import { benchDeadline } from './lib/deadline.ts';
import { REPO_ROOT } from './lib/paths.ts';
import { processRssMiB } from './lib/proc.ts';
import { startServer, type ServerProcess } from './lib/bench-server.ts';
import { median, round } from './lib/stats.ts';
import { makeTempDir } from '../tests/helpers/temp-dir.ts';

const CHROMIUM = process.env.PARLOR_CHROMIUM ?? '/usr/bin/chromium';
const MESSAGES = 10_000;
const ROUNDS = 3;
const PASSWORD = 'bench-web';
const TARGETS = { readyMs: 1000, roomMs: 300, bundleKiB: 150 };
const BENCH_DEADLINE_MS = 300_000;

interface Round {
  /** Spawn → the URL printed: Node, the TypeScript loader and parlor's modules starting. */
  urlMs: number;
  readyMs: number;
  roomMs: number;
  scrollMs: number;
  maxRendered: number;
  total: number;
  rssMiB: number;
}

// What the page-side callbacks use of the DOM (the bench compiles without the DOM's types).
declare const document: { getElementById(id: string): { scrollTop: number; querySelector(s: string): { textContent: string | null } | null } | null };
declare const window: unknown;

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

async function fill(server: ServerProcess, configDir: string): Promise<void> {
  const filler = await ChatClient.connect({ host: server.host, port: server.port, fingerprint: server.fingerprint, configDir, identity: await generateClientIdentity(), name: 'filler', password: PASSWORD, reconnect: false });
  try {
    await filler.join('lobby');
    let next = 0;
    const lane = async () => {
      while (next < MESSAGES) await filler.say('lobby', `history ${next++}: a line of about the length people type`);
    };
    await Promise.all(Array.from({ length: 200 }, lane));
  } finally {
    filler.close();
  }
}

async function oneRound(page: () => Promise<Page>, discoveryPort: number, name: string): Promise<Round> {
  const home = makeTempDir('web-bench-home');
  const args = [join(REPO_ROOT, 'bin', 'parlor.js'), 'web', '--no-open', '--no-mdns', '--broadcast', '127.255.255.255', '--discovery-port', String(discoveryPort), '--timeout', '1000', '--name', name, '--config', join(home.path, 'config'), '--data', join(home.path, 'data')];
  const startedAt = performance.now();
  const child = track(spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', (line) => resolve(line.replace(/^parlor web: /, '')));
      child.once('exit', () => reject(new Error('parlor web exited before printing its URL')));
    });
    const urlMs = performance.now() - startedAt;
    const tab = await page();
    await tab.goto(url);
    await tab.waitForSelector('.room.waiting');
    const readyMs = performance.now() - startedAt;
    await tab.click('.server');
    await tab.waitForSelector('.login-form');
    const loginAt = performance.now();
    await tab.click('.login-form button[type=submit]');
    await tab.waitForSelector('#messages .message').catch(async (error: Error) => {
      throw new Error(`${error.message}\nthe page showed: ${(await tab.innerText('body')).slice(0, 2000)}`);
    });
    const roomMs = performance.now() - loginAt;
    const scrollAt = performance.now();
    let maxRendered = 0;
    for (let i = 0; i < 5000; i++) {
      const state = await tab.evaluate(() => {
        const list = document.getElementById('messages')!;
        list.scrollTop = 0;
        const parlor = (window as unknown as { parlor: { rendered: number; total: number } }).parlor;
        return { rendered: parlor.rendered, total: parlor.total, first: list.querySelector('.message .text')?.textContent ?? '' };
      });
      maxRendered = Math.max(maxRendered, state.rendered);
      if (state.first.startsWith('history 0:')) {
        return { urlMs, readyMs, roomMs, scrollMs: performance.now() - scrollAt, maxRendered, total: state.total, rssMiB: processRssMiB(child.pid!) };
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const last = await tab.evaluate(() => (window as unknown as { parlor: { rendered: number; total: number } }).parlor);
    throw new Error(`never reached the first message by scrolling up: ${JSON.stringify(last)}`);
  } finally {
    await stopChild(child);
    home.remove();
  }
}

export async function run(): Promise<void> {
  console.log(`web: \`parlor web\` in Chromium: start → waiting room, Log in → #lobby shown, scroll up through ${MESSAGES.toLocaleString('en')} messages; page size; local RSS`);
  if (!existsSync(CHROMIUM)) {
    console.log(`  skipped: no Chromium at ${CHROMIUM} (Debian package chromium)`);
    return;
  }
  const deadline = benchDeadline('web', BENCH_DEADLINE_MS);
  const pageDir = await buildPage();
  const bundleGzipKiB = gzipSync(readFileSync(join(pageDir, 'app.js'))).length / 1024;
  const discoveryPort = await freeUdpPort();
  const dataDir = makeTempDir('web-bench-server');
  const configDir = makeTempDir('web-bench-filler');
  const server = await startServer({ dataDir: dataDir.path, serveArgs: ['--password', PASSWORD, '--rate', '1000000', '--burst', '1000000', '--discovery-port', String(discoveryPort)] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  try {
    const filledAt = performance.now();
    await fill(server, configDir.path);
    console.log(`  #lobby filled with ${MESSAGES.toLocaleString('en')} messages in ${((performance.now() - filledAt) / 1000).toFixed(1)} s`);
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      try {
        // A fresh identity each round, so a fresh name: the server binds names to keys.
        rounds.push(await oneRound(() => context.newPage(), discoveryPort, `reader${i}`));
      } finally {
        await context.close();
      }
    }
    const m = (pick: (r: Round) => number) => round(median(rounds.map(pick)), 1);
    console.log(`  page ready (spawn → waiting room drawn, still looking): median ${m((r) => r.readyMs)} ms, of which the process's start to its URL ${m((r) => r.urlMs)} ms; target ≤ ${TARGETS.readyMs} ms`);
    console.log(`  room shown (Log in → #lobby with its history): median ${m((r) => r.roomMs)} ms; target ≤ ${TARGETS.roomMs} ms`);
    console.log(`  scrolled up to the first of ${rounds[0]!.total.toLocaleString('en')} messages in median ${m((r) => r.scrollMs)} ms, at most ${Math.max(...rounds.map((r) => r.maxRendered))} entries in the DOM`);
    console.log(`  page JS ${round(bundleGzipKiB, 1)} KiB gzipped (target ≤ ${TARGETS.bundleKiB} KiB); parlor web RSS with them all held: median ${m((r) => r.rssMiB)} MiB`);
    console.log(JSON.stringify({ bench: 'web', messages: MESSAGES, rounds, bundleGzipKiB: round(bundleGzipKiB, 1), medians: { readyMs: m((r) => r.readyMs), roomMs: m((r) => r.roomMs), scrollMs: m((r) => r.scrollMs), rssMiB: m((r) => r.rssMiB) } }));
  } finally {
    clearTimeout(deadline);
    await browser.close();
    await server.stop();
    dataDir.remove();
    configDir.remove();
  }
}
