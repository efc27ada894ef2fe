import type { Command } from 'commander';
import { ParlorClient } from '../client/client.ts';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { describeTrustState, KnownServers } from '../client/known-servers.ts';
import { defaultConfigDir, formatAddress, parseServerAddress } from '../options.ts';
import { ParlorError } from '../protocol/errors.ts';
import { exitWithError, integerFlag, printJson } from './output.ts';

interface PingFlags {
  server?: string;
  forget?: string;
  config?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  count: number;
  json?: boolean;
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description("connect to a server, check its key, and time round trips (no login needed); or forget a server's key")
    .option('--server <host:port>', 'the server to check')
    .option('--forget <host:port>', 'forget what known_servers holds about this server (its key, wherever it was seen), then exit')
    .option('--config <dir>', 'config dir with the identity and known_servers (default: $XDG_CONFIG_HOME/parlor)')
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--count <n>', 'round trips to time', integerFlag('--count'), 3)
    .option('--json', 'print the result as one JSON object')
    .action((flags: PingFlags) => (flags.forget !== undefined ? forget(flags.forget, flags) : ping(flags)).catch(exitWithError));
}

/** Removes the server's lines from known_servers: no connection is made. */
async function forget(server: string, flags: PingFlags): Promise<void> {
  const { host, port } = parseServerAddress(server);
  const address = formatAddress(host, port);
  const known = new KnownServers(flags.config ?? defaultConfigDir());
  const removed = known.forget(address);
  if (flags.json) printJson({ forgot: address, removed });
  else if (removed.length === 0) console.log(`${address} was not in ${known.path}: nothing to forget`);
  else console.log(`forgot ${address}: removed ${removed.length} line${removed.length === 1 ? '' : 's'} from ${known.path}\n${removed.map((line) => `  ${line}`).join('\n')}`);
  process.exit(0);
}

async function ping(flags: PingFlags): Promise<void> {
  if (flags.server === undefined) throw new ParlorError('BAD_OPTION', 'ping needs --server HOST:PORT (or --forget HOST:PORT)');
  const { host, port } = parseServerAddress(flags.server);
  const configDir = flags.config ?? defaultConfigDir();
  const identity = await loadOrCreateClientIdentity(configDir);
  const client = await ParlorClient.connect({
    host,
    port,
    identity,
    configDir,
    acceptNewKey: flags.acceptNewKey === true,
    ...(flags.fingerprint !== undefined && { fingerprint: flags.fingerprint }),
  });
  const times: number[] = [];
  for (let i = 0; i < flags.count; i++) times.push(await client.ping());
  client.close();
  const result = {
    server: client.server.address,
    name: client.server.name,
    fingerprint: client.server.fingerprint,
    trust: client.server.trust,
    ...(client.server.movedFrom !== undefined && { movedFrom: client.server.movedFrom }),
    version: client.server.version,
    you: client.fingerprint,
    rttMs: times.map((t) => Math.round(t * 1000) / 1000),
  };
  if (flags.json) {
    printJson(result);
  } else {
    console.log(`${result.name} at ${result.server} (parlor ${result.version})`);
    console.log(`fingerprint ${result.fingerprint} (${describeTrust(result.trust, client.server.movedFrom)})`);
    console.log(`round trips: ${result.rttMs.map((t) => `${t.toFixed(2)} ms`).join(', ')}`);
  }
  process.exit(0);
}

function describeTrust(trust: string, movedFrom: string | undefined): string {
  switch (trust) {
    case 'new': return 'new: remembered from now on';
    case 'known': return describeTrustState({ state: 'known', ...(movedFrom !== undefined && { movedFrom }) });
    case 'accepted-new': return 'CHANGED, accepted with --accept-new-key';
    case 'pinned': return 'matches the pinned fingerprint';
    default: return trust;
  }
}
