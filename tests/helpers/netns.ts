// A small LAN made of Linux network namespaces, for discovery tests that need real broadcast.
//
//   bridge namespace "br": one Linux bridge per segment (br0, br1, ...)
//   host namespaces: one veth per address; its host end is eth0, eth1, ... and its other end is a
//   port of the segment's bridge.
//
// Nothing is created in the root namespace: veths are made inside the host namespace with their
// peer moved straight into the bridge namespace, so no packet of a test can reach a real interface.
// Namespaces are named plr<pid>-<lan>-<host> so that parallel runs cannot collide. Every process
// started here is killed by pid, and every namespace deleted, by destroy() (called from an
// afterEach hook, pass or fail), with a synchronous last resort when the test process exits or is
// interrupted.

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PARLOR_BIN } from './server-process.ts';

/** Every namespace of this test process starts with this. */
export const NETNS_PREFIX = `plr${process.pid}-`;
const IP_TIMEOUT_MS = 10_000;

export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `ip ARGS`; rejects with its stderr when it fails. */
function ip(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: IP_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`ip ${args.join(' ')}: ${stderr.trim() || error.message}`));
      else resolve(stdout);
    });
  });
}

async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  // Lines look like "name" or "name (id: 3)".
  return out.split('\n').map((line) => line.trim().split(/\s+/)[0] ?? '').filter((name) => name !== '');
}

/** Deletes the namespaces a previous run with this pid left behind (never anyone else's). */
export async function removeLeftoverNamespaces(): Promise<void> {
  for (const name of await listNamespaces()) {
    if (name.startsWith(NETNS_PREFIX)) await ip(['netns', 'del', name]).catch(() => undefined);
  }
}

let support: Promise<string | undefined> | undefined;

/**
 * Why this machine cannot build a LAN (not root, no iproute2, no namespaces, no bridge or veth
 * support), or undefined when it can. Tries it for real, once per run.
 */
export function lanUnavailable(): Promise<string | undefined> {
  support ??= (async () => {
    const root = process.getuid?.() === 0;
    try {
      await ip(['-V']);
    } catch {
      return 'iproute2 is not installed (apt-get install iproute2)';
    }
    const a = `${NETNS_PREFIX}probe-a`;
    const b = `${NETNS_PREFIX}probe-b`;
    try {
      await ip(['netns', 'add', a]);
      await ip(['netns', 'add', b]);
      await ip(['-n', a, 'link', 'add', 'br0', 'type', 'bridge']);
      await ip(['-n', a, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b]);
      return undefined;
    } catch (error) {
      return `cannot build network namespaces${root ? '' : ' (not root)'}: ${(error as Error).message}`;
    } finally {
      await ip(['netns', 'del', a]).catch(() => undefined);
      await ip(['netns', 'del', b]).catch(() => undefined);
    }
  })();
  return support;
}

export interface LanAddress {
  /** CIDR, e.g. "198.51.100.10/24". */
  cidr: string;
  /** Which bridge this interface plugs into; hosts on different segments share no link. Default "lan". */
  segment?: string;
}

export interface LanHostSpec {
  /** One interface per address (eth0, eth1, ...): several make a multi-homed host. */
  addresses: Array<string | LanAddress>;
  /** `ip route add default via THIS` (the gateway need not exist). */
  defaultRoute?: string;
}

export interface LanHost {
  name: string;
  netns: string;
  /** Addresses without their prefix length, in interface order. */
  addresses: string[];
}

/** A process running inside a namespace, with its output collected as it comes. */
export interface NsProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** stdout lines that parsed as JSON objects, in order. */
  json: Array<Record<string, unknown>>;
  /** The first JSON line (seen or still to come) that matches; rejects on exit or after timeoutMs. */
  waitForJson(match: (line: Record<string, unknown>) => boolean, timeoutMs: number): Promise<Record<string, unknown>>;
  exited: Promise<CommandResult>;
}

const lans = new Set<Lan>();

export class Lan {
  private static count = 0;
  readonly id: string;
  readonly bridgeNs: string;
  private readonly namespaces: string[] = [];
  private readonly segments = new Map<string, string>();
  private readonly hosts = new Map<string, LanHost>();
  private readonly processes = new Set<ChildProcess>();
  private veths = 0;

  private constructor() {
    this.id = `${NETNS_PREFIX}${++Lan.count}`;
    this.bridgeNs = `${this.id}-br`;
  }

  /** A LAN with its bridge namespace; add hosts with addHost(). Torn down by destroyLans(). */
  static async create(): Promise<Lan> {
    const lan = new Lan();
    lans.add(lan);
    await lan.addNamespace(lan.bridgeNs);
    return lan;
  }

  private async addNamespace(name: string): Promise<void> {
    await ip(['netns', 'add', name]);
    this.namespaces.push(name);
    await ip(['-n', name, 'link', 'set', 'lo', 'up']);
  }

  private async bridgeFor(segment: string): Promise<string> {
    let bridge = this.segments.get(segment);
    if (bridge === undefined) {
      bridge = `br${this.segments.size}`;
      this.segments.set(segment, bridge);
      await ip(['-n', this.bridgeNs, 'link', 'add', bridge, 'type', 'bridge']);
      await ip(['-n', this.bridgeNs, 'link', 'set', bridge, 'up']);
    }
    return bridge;
  }

  async addHost(name: string, spec: LanHostSpec): Promise<LanHost> {
    if (this.hosts.has(name)) throw new Error(`host ${name} already exists`);
    const netns = `${this.id}-${name}`;
    await this.addNamespace(netns);
    const addresses: string[] = [];
    for (const [index, entry] of spec.addresses.entries()) {
      const { cidr, segment = 'lan' } = typeof entry === 'string' ? { cidr: entry } : entry;
      const bridge = await this.bridgeFor(segment);
      const dev = `eth${index}`;
      const port = `v${this.veths++}`;
      await ip(['-n', netns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', port, 'netns', this.bridgeNs]);
      await ip(['-n', this.bridgeNs, 'link', 'set', port, 'master', bridge, 'up']);
      await ip(['-n', netns, 'addr', 'add', cidr, 'dev', dev]);
      await ip(['-n', netns, 'link', 'set', dev, 'up']);
      addresses.push(cidr.split('/')[0]!);
    }
    if (spec.defaultRoute !== undefined) await ip(['-n', netns, 'route', 'add', 'default', 'via', spec.defaultRoute]);
    const host: LanHost = { name, netns, addresses };
    this.hosts.set(name, host);
    return host;
  }

  /**
   * Stops the bridges flooding broadcast frames to any port (as some Wi-Fi and VLAN setups do),
   * while unicast still passes: the LAN on which only --scan can find a server. ARP is broadcast
   * too, and such networks still resolve addresses (access points answer ARP for their clients),
   * so every host is given its neighbours' MAC addresses up front.
   */
  async dropBroadcast(): Promise<void> {
    for (let index = 0; index < this.veths; index++) {
      await ip(['netns', 'exec', this.bridgeNs, 'bridge', 'link', 'set', 'dev', `v${index}`, 'bcast_flood', 'off']);
    }
    const interfaces: Array<{ netns: string; dev: string; address: string; mac: string }> = [];
    for (const host of this.hosts.values()) {
      for (const [index, address] of host.addresses.entries()) {
        const dev = `eth${index}`;
        const [link] = JSON.parse(await ip(['-n', host.netns, '-j', 'link', 'show', dev])) as Array<{ address: string }>;
        interfaces.push({ netns: host.netns, dev, address, mac: link!.address });
      }
    }
    const subnet = (address: string) => address.split('.').slice(0, 3).join('.');
    for (const a of interfaces) {
      for (const b of interfaces) {
        if (a.netns === b.netns || subnet(a.address) !== subnet(b.address)) continue;
        await ip(['-n', a.netns, 'neigh', 'replace', b.address, 'lladdr', b.mac, 'dev', a.dev, 'nud', 'permanent']);
      }
    }
  }

  host(name: string): LanHost {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name} on this LAN`);
    return host;
  }

  /** `ip ARGS` inside a host's namespace, e.g. ['route', 'del', 'default']. */
  ipIn(host: string, args: readonly string[]): Promise<string> {
    return ip(['-n', this.host(host).netns, ...args]);
  }

  /**
   * `ip netns exec NS node bin/parlor.js ARGS`: `ip netns exec` execs the command, so the child's
   * pid is node's own and killing it by pid ends parlor. Killed by destroy() if still running.
   */
  parlor(host: string, args: readonly string[]): NsProcess {
    return this.node(host, [PARLOR_BIN, ...args]);
  }

  /** `ip netns exec NS node ARGS`: any node program inside a host, collected and killed like parlor. */
  node(host: string, args: readonly string[]): NsProcess {
    return this.command(host, process.execPath, args);
  }

  /** `ip netns exec NS FILE ARGS`: any program inside a host, collected and killed like parlor. */
  command(host: string, file: string, args: readonly string[]): NsProcess {
    const child = spawn('ip', ['netns', 'exec', this.host(host).netns, file, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const json: Array<Record<string, unknown>> = [];
    const waiters = new Set<() => void>();
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) json.push(parsed as Record<string, unknown>);
      } catch {
        // Not JSON: stays in stdout() only.
      }
      for (const wake of waiters) wake();
    });
    const exited = new Promise<CommandResult>((resolve) => {
      child.once('error', (error) => {
        stderr += `spawn failed: ${error.message}\n`;
      });
      child.once('close', (code, signal) => {
        this.processes.delete(child);
        for (const wake of waiters) wake();
        resolve({ code, signal, stdout, stderr });
      });
    });
    const done = () => child.exitCode !== null || child.signalCode !== null;
    const waitForJson = (match: (line: Record<string, unknown>) => boolean, timeoutMs: number) =>
      new Promise<Record<string, unknown>>((resolve, reject) => {
        const check = () => {
          const found = json.find(match);
          if (found) {
            cleanup();
            resolve(found);
          } else if (done()) {
            cleanup();
            reject(new Error(`${args[0]} in ${host} exited (code ${child.exitCode}, signal ${child.signalCode}) first; stdout: ${stdout}; stderr: ${stderr}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching line from ${args[0]} in ${host} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    return { child, stdout: () => stdout, stderr: () => stderr, json, waitForJson, exited };
  }

  /** Runs parlor to completion in a host's namespace; killed (and rejected) after timeoutMs. */
  async run(host: string, args: readonly string[], timeoutMs: number): Promise<CommandResult> {
    const started = this.parlor(host, args);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        started.child.kill('SIGKILL');
        reject(new Error(`parlor ${args.join(' ')} in ${host} did not finish within ${timeoutMs} ms; stdout: ${started.stdout()}; stderr: ${started.stderr()}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([started.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills every process started here (by pid), waits for them, deletes every namespace. */
  async destroy(): Promise<void> {
    lans.delete(this);
    const children = [...this.processes];
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? undefined
          : new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 5000);
              child.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
            }),
      ),
    );
    const errors: string[] = [];
    // Hosts first, the bridge last: deleting a host namespace takes its veths (both ends) with it.
    for (const name of this.namespaces.splice(0).reverse()) {
      await ip(['netns', 'del', name]).catch((error: Error) => errors.push(error.message));
    }
    if (errors.length > 0) throw new Error(`LAN teardown: ${errors.join('; ')}`);
  }

  /** Synchronous last resort for process exit. */
  destroySync(): void {
    lans.delete(this);
    for (const child of this.processes) child.kill('SIGKILL');
    for (const name of this.namespaces.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore', timeout: IP_TIMEOUT_MS });
      } catch {
        // Already gone.
      }
    }
  }
}

/** Tears down every LAN still standing: call it from afterEach. */
export async function destroyLans(): Promise<void> {
  const results = await Promise.allSettled([...lans].map((lan) => lan.destroy()));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) throw new Error(failed.map((r) => String(r.reason)).join('; '));
}

function destroyAllSync(): void {
  for (const lan of [...lans]) lan.destroySync();
}

// mocha --exit ends with process.exit(), which runs 'exit' handlers; Ctrl-C or a kill does not, so
// those signals tear down too, then take their default course. The handlers stay installed while
// tearing down (mocha's parent process follows a Ctrl-C with SIGINT and SIGTERM of its own, which
// must not cut the teardown short), and are removed only to re-raise the signal.
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const onSignal = (signal: NodeJS.Signals) => {
  destroyAllSync();
  for (const name of SIGNALS) process.off(name, onSignal);
  process.kill(process.pid, signal);
};
process.on('exit', destroyAllSync);
for (const signal of SIGNALS) process.on(signal, onSignal);
