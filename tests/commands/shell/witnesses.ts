// Witnesses for escape attempts: a TCP server on 127.0.0.1 that records every connection, a secret
// in this process's environment, and an empty directory on the real disk that must stay empty.

import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../helpers/temp-dir.ts';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
/** A line of this repository's package.json that no sandbox should be able to print. */
export const REPO_SECRET_TEXT = 'finds its server by itself';
/** The start of /etc/passwd on any Linux host. */
export const PASSWD_TEXT = 'root:x:0:0';

export interface ConnectionWitness {
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}

/** A listener that counts who connects (and, being a real listener, answers anyone who does). */
export async function connectionWitness(): Promise<ConnectionWitness> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count += 1;
    socket.on('error', () => {}); // a peer that hangs up early is still counted
    socket.end('HTTP/1.0 200 OK\r\ncontent-length: 7\r\n\r\nreached');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const witness = {
    port: address.port,
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  // Prove the witness sees a connection at all, so that zero later means something.
  await new Promise<void>((resolve, reject) => {
    const probe = connect(witness.port, '127.0.0.1');
    probe.on('connect', () => {
      probe.destroy();
      resolve();
    });
    probe.on('error', reject);
  });
  await waitFor(() => count === 1);
  count = 0;
  return witness;
}

export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Puts a fresh random secret into this process's environment under `name`; returns it. */
export function plantSecret(name: string): string {
  const secret = `secret-${randomBytes(12).toString('hex')}`;
  process.env[name] = secret;
  return secret;
}

/** An empty real directory; `expectUntouched` checks that nothing appeared in it or at `extra` paths. */
export function untouchedDir(): { dir: string; expectUntouched: (...extra: string[]) => void } {
  const dir = tempDir('parlor-shell-witness');
  return {
    dir,
    expectUntouched: (...extra: string[]) => {
      expect(readdirSync(dir), `files appeared in ${dir}`).to.deep.equal([]);
      for (const path of extra) expect(existsSync(path), `${path} appeared on the real disk`).to.equal(false);
    },
  };
}

/** Counts ticks of a 10 ms interval while `work` runs: proof that the event loop kept turning. */
export async function ticksDuring<T>(work: Promise<T>): Promise<{ result: T; ticks: number }> {
  let ticks = 0;
  const timer = setInterval(() => (ticks += 1), 10);
  try {
    const result = await work;
    return { result, ticks };
  } finally {
    clearInterval(timer);
  }
}
