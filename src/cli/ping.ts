import type { Command } from 'commander';
import { ParlorClient } from '../client/client.ts';
import { loadOrCreateClientIdentity } from '../crypto/identity.ts';
import { defaultConfigDir, parseServerAddress } from '../options.ts';
import { exitWithError, integerFlag, printJson } from './output.ts';

interface PingFlags {
  server: string;
  config?: string;
  fingerprint?: string;
  acceptNewKey?: boolean;
  count: number;
  json?: boolean;
}

export function registerPing(program: Command): void {
  program
    .command('ping')
    .description("connect to a server, check its key, and time round trips (no login needed)")
    .requiredOption('--server <host:port>', 'the server to check')
    .option('--config <dir>', 'config dir with the identity and known_servers (default: $XDG_CONFIG_HOME/parlor)')
    .option('--fingerprint <SHA256:...>', 'refuse the server unless it presents this key')
    .option('--accept-new-key', "trust the server's key even though it differs from the remembered one")
    .option('--count <n>', 'round trips to time', integerFlag('--count'), 3)
    .option('--json', 'print the result as one JSON object')
    .action((flags: PingFlags) => ping(flags).catch(exitWithError));
}

async function ping(flags: PingFlags): Promise<void> {
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
    version: client.server.version,
    you: client.fingerprint,
    rttMs: times.map((t) => Math.round(t * 1000) / 1000),
  };
  if (flags.json) {
    printJson(result);
  } else {
    console.log(`${result.name} at ${result.server} (parlor ${result.version})`);
    console.log(`fingerprint ${result.fingerprint} (${describeTrust(result.trust)})`);
    console.log(`round trips: ${result.rttMs.map((t) => `${t.toFixed(2)} ms`).join(', ')}`);
  }
  process.exit(0);
}

function describeTrust(trust: string): string {
  switch (trust) {
    case 'new': return 'new: remembered from now on';
    case 'known': return 'known';
    case 'accepted-new': return 'CHANGED, accepted with --accept-new-key';
    case 'pinned': return 'matches the pinned fingerprint';
    default: return trust;
  }
}
