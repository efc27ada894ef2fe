// "Host a server here": `parlor serve` as a child of the UI, in the background, with a generated
// join password that the UI shows and uses. It lives exactly as long as the UI: ended when the UI
// exits (however it exits, short of SIGKILL), and it never multicasts unless the UI may (mDNS).

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PARLOR_BIN } from '../package-root.ts';
import { ParlorError } from '../protocol/errors.ts';

/** Set in a hosted server's environment: it stops when its stdin (a pipe from the UI) closes. */
export const HOSTED_BY_PARENT_ENV = 'PARLOR_HOSTED_BY_PARENT';

export interface HostOptions {
  /** Where it listens (default: every interface, so the LAN can join). */
  host?: string;
  port: number;
  discoveryPort: number;
  mdns: boolean;
}

export interface HostedServer {
  pid: number;
  /** Where this machine connects to it. */
  host: string;
  port: number;
  name: string;
  fingerprint: string;
  password: string;
  operatorPassword: string;
  stop(): void;
}

export function startHostedServer(options: HostOptions, timeoutMs = 15_000): Promise<HostedServer> {
  const args = [PARLOR_BIN, 'serve', '--json', '--port', String(options.port), '--discovery-port', String(options.discoveryPort)];
  if (options.host !== undefined) args.push('--host', options.host);
  if (!options.mdns) args.push('--no-mdns');
  // Its stdin is a pipe from this process, which closes when this process ends by any means,
  // even SIGKILL; the server stops then (cli/serve.ts). The exit handler below covers the rest.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, [HOSTED_BY_PARENT_ENV]: '1' } });
  const stop = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  };
  // Synchronous, so it also runs from process.exit() after Ctrl-C.
  process.once('exit', stop);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new ParlorError('TIMEOUT', `the server did not start within ${timeoutMs} ms`));
    }, timeoutMs);
    // Every line is read, even after the first: a pipe left full would stall the server.
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (event.event !== 'listening') return;
      clearTimeout(timer);
      const host = String(event.host);
      resolve({
        pid: child.pid!,
        host: host === '::' || host === '0.0.0.0' ? '127.0.0.1' : host,
        port: Number(event.port),
        name: String(event.name),
        fingerprint: String(event.fingerprint),
        password: String(event.password),
        operatorPassword: String(event.operatorPassword ?? ''),
        stop,
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new ParlorError('CONNECTION_FAILED', `the server exited (${code ?? 'signal'}) before it listened: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
}

