// Chat-level helpers for tests that drive a `parlor serve` child with real clients: ChatClients
// that log in with a known join password, bounded waits, raw-peer requests (for what the client
// library does not surface, such as retryAfterMs), a restart on a fixed port, and the child's RSS.

import { readFileSync } from 'node:fs';
import { ChatClient, type ChatClientOptions } from '../../src/client/chat-client.ts';
import type { ClientIdentity } from '../../src/crypto/identity.ts';
import type { JoinedMessage } from '../../src/protocol/messages.ts';
import type { CloseInfo } from '../../src/transport/secure-connection.ts';
import type { RawPeer } from './raw-peer.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';
import { tempDir } from './temp-dir.ts';

/** The join password the chat tests start their servers with (`--password`). */
export const JOIN_PASSWORD = 'correct horse battery staple';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Logs a ChatClient in to a server child; its known_servers lives in a fresh temp dir. */
export function connectChat(
  server: Pick<ServerProcess, 'host' | 'port'>,
  identity: ClientIdentity,
  name: string,
  options: Partial<ChatClientOptions> = {},
): Promise<ChatClient> {
  return ChatClient.connect({
    host: server.host,
    port: server.port,
    identity,
    configDir: tempDir('chat-config'),
    name,
    password: JOIN_PASSWORD,
    reconnect: false,
    ...options,
  });
}


/** Polls `check` until it holds; fails after `timeoutMs` with `what` and the last detail. */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 10_000, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < 100_000; round++) {
    if (check()) return;
    if (Date.now() > deadline) break;
    await sleep(10);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail() ? `: ${detail()}` : ''}`);
}

interface ChatEventArgs {
  closed: [info: CloseInfo];
  disconnected: [info: CloseInfo];
  reconnected: [];
  joined: [notice: JoinedMessage];
}

/** Resolves with the arguments of the next `event` a ChatClient emits; rejects after `timeoutMs`. */
export function nextEvent<E extends keyof ChatEventArgs>(client: ChatClient, event: E, timeoutMs = 10_000): Promise<ChatEventArgs[E]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args as ChatEventArgs[E]);
    };
    const timer = setTimeout(() => {
      client.off(event, listener as never);
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`));
    }, timeoutMs);
    client.once(event, listener as never);
  });
}

/** Waits (bounded) until a raw peer has received a message that matches; returns it. */
export function waitForRaw<T>(peer: RawPeer, match: (message: unknown) => message is T, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const found = peer.received.find(match);
      if (found === undefined) return false;
      cleanup();
      resolve(found);
      return true;
    };
    const onData = () => void check();
    const onClose = () => {
      if (!check()) {
        cleanup();
        reject(new Error(`the connection closed before the expected message; got ${JSON.stringify(peer.received.slice(-3))}`));
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no expected message within ${timeoutMs} ms; got ${JSON.stringify(peer.received.slice(-3))}`));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      peer.socket.off('data', onData);
      peer.socket.off('close', onClose);
    };
    if (check()) return;
    // Added after raw-peer's own listener, so `received` already holds what this chunk carried.
    peer.socket.on('data', onData);
    peer.socket.once('close', onClose);
  });
}

export interface RawAnswer {
  type: 'reply' | 'error';
  re: number;
  data?: unknown;
  code?: string;
  message?: string;
  retryAfterMs?: number;
}

const isAnswerTo = (id: number) => (message: unknown): message is RawAnswer =>
  typeof message === 'object' &&
  message !== null &&
  ((message as { type?: unknown }).type === 'reply' || (message as { type?: unknown }).type === 'error') &&
  (message as { re?: unknown }).re === id;

/** Sends one sealed request on a raw peer and resolves with its reply or error, as the server sent it. */
export function rawRequest(peer: RawPeer, request: { id: number; type: string; [field: string]: unknown }, timeoutMs = 10_000): Promise<RawAnswer> {
  const answer = waitForRaw(peer, isAnswerTo(request.id), timeoutMs);
  peer.sendPayload(peer.seal(request));
  return answer;
}

/** Every answer (reply or error) a raw peer has received, by request id. */
export function rawAnswers(peer: RawPeer): Map<number, RawAnswer> {
  const answers = new Map<number, RawAnswer>();
  for (const message of peer.received) {
    const candidate = message as Partial<RawAnswer> | null;
    if (candidate && (candidate.type === 'reply' || candidate.type === 'error') && typeof candidate.re === 'number') answers.set(candidate.re, candidate as RawAnswer);
  }
  return answers;
}

/**
 * Starts a server child on a fixed port (a restart "at the same address"). A bind can briefly
 * fail while the old process's port is still being released; that is retried a bounded number
 * of times.
 */
export async function startServerOnPort(args: string[], port: number, attempts = 25): Promise<ServerProcess> {
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      return await startServerProcess([...args, '--port', String(port)]);
    } catch (error) {
      lastError = error;
      if (!/EADDRINUSE/.test(String(error))) throw error;
      await sleep(200);
    }
  }
  throw new Error(`could not bind port ${port} again after ${attempts} attempts: ${String(lastError)}`);
}

/** The resident set size of a process in bytes (Linux /proc), or undefined where there is no /proc. */
export function residentBytes(pid: number): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}
