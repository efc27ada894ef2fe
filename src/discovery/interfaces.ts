// The IPv4 interfaces to probe from, and their directed broadcast addresses (address | ~netmask).

import { networkInterfaces } from 'node:os';
import { ParlorError } from '../protocol/errors.ts';

export interface ProbeInterface {
  name: string;
  address: string;
  netmask: string;
  broadcast: string;
}

const toInt = (ip: string) => ip.split('.').reduce((value, part) => ((value << 8) | Number(part)) >>> 0, 0);
const toIp = (value: number) => [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join('.');

export function directedBroadcast(address: string, netmask: string): string {
  return toIp((toInt(address) | (~toInt(netmask) >>> 0)) >>> 0);
}

/** True when two IPv4 addresses share the network of `netmask`. */
export function sameSubnet(a: string, b: string, netmask: string): boolean {
  const mask = toInt(netmask);
  return (toInt(a) & mask) === (toInt(b) & mask);
}

/** The non-loopback IPv4 interfaces, optionally only those named. */
export function probeInterfaces(only?: readonly string[]): ProbeInterface[] {
  const found: ProbeInterface[] = [];
  for (const [name, addresses] of Object.entries(networkInterfaces())) {
    if (only && only.length > 0 && !only.includes(name)) continue;
    for (const info of addresses ?? []) {
      if (info.family !== 'IPv4' || info.internal) continue;
      found.push({ name, address: info.address, netmask: info.netmask, broadcast: directedBroadcast(info.address, info.netmask) });
    }
  }
  return found;
}

/**
 * Checks the interfaces a user named (--interface): each must exist and have an IPv4 address to
 * probe from, else BAD_OPTION lists the ones that do, so that a typo is not a silent empty search.
 */
export function checkInterfaceNames(names: readonly string[]): void {
  const usable = probeInterfaces();
  const bad = names.filter((name) => !usable.some((info) => info.name === name));
  if (bad.length === 0) return;
  const exists = Object.keys(networkInterfaces());
  const choices = usable.length === 0 ? 'this host has no interface with an IPv4 address but loopback' : `usable here: ${[...new Set(usable.map((info) => `${info.name} (${info.address})`))].join(', ')}`;
  const what = bad.map((name) => (exists.includes(name) ? `${name} has no IPv4 address to probe from` : `there is no interface ${name}`));
  throw new ParlorError('BAD_OPTION', `--interface: ${what.join('; ')}; ${choices}`);
}

/**
 * Every host address of an interface's subnet but its own, for a unicast scan; empty for subnets
 * larger than a /24, which a scan would take too long to sweep politely.
 */
export function subnetHosts(info: ProbeInterface): string[] {
  const mask = toInt(info.netmask);
  const size = (~mask >>> 0) + 1;
  if (size > 256 || size < 4) return [];
  const network = (toInt(info.address) & mask) >>> 0;
  const hosts: string[] = [];
  for (let offset = 1; offset < size - 1; offset++) {
    const address = toIp((network + offset) >>> 0);
    if (address !== info.address) hosts.push(address);
  }
  return hosts;
}
