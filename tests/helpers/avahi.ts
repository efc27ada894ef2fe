// avahi (Debian's avahi-daemon and avahi-browse), an mDNS stack that is not parlor's, run inside a
// test namespace to resolve parlor's advert as other tools on a LAN would.
//
// Each avahi lives in a private world, so that it can neither see nor disturb the machine's own:
// `unshare --mount --pid --fork --kill-child` gives it its own /run (a tmpfs, for avahi's pid file
// and socket and the bus's socket) and a PID namespace whose first process is the script below.
// Killing unshare by pid (as Lan.destroy does) kills that script, and with it, as the end of a PID
// namespace's init always does, dbus-daemon and avahi-daemon. A private D-Bus (dbus-daemon
// --config-file, DBUS_SYSTEM_BUS_ADDRESS) carries avahi-browse's questions to its own daemon only.
// avahi-daemon runs as root without chroot (--no-drop-root --no-chroot: the chroot wants files of
// the real /run), publishes nothing, and listens on the namespace's eth0 only.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lan } from './netns.ts';
import { tempDir } from './temp-dir.ts';

const BUS_CONFIG = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=/run/parlor-test-bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`;

const AVAHI_CONFIG = `[server]
host-name=avahi-probe
use-ipv4=yes
use-ipv6=no
allow-interfaces=eth0
enable-dbus=yes
use-iff-running=no
[wide-area]
enable-wide-area=no
[publish]
disable-publishing=yes
[reflector]
enable-reflector=no
`;

// Runs as PID 1 of its own PID namespace: $1 the config dir, $2 the service type, $3 how many
// browses to try (avahi needs a moment to start and to hear the network), each bounded by -t.
const SCRIPT = `set -u
mount -t tmpfs tmpfs /run
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/parlor-test-bus
dbus-daemon --config-file="$1/bus.conf" --nofork --nopidfile &
i=0
while [ ! -S /run/parlor-test-bus ]; do
  i=$((i+1)); if [ $i -gt 100 ]; then echo "dbus-daemon did not start" >&2; exit 3; fi
  sleep 0.05
done
avahi-daemon -f "$1/avahi.conf" --no-drop-root --no-chroot --no-rlimits --no-proc-title 2>"$1/avahi.log" &
n=0
out=''
while [ $n -lt "$3" ]; do
  n=$((n+1))
  out=$(avahi-browse -r -p -t "$2" 2>&1)
  if printf '%s\\n' "$out" | grep -q '^='; then printf '%s\\n' "$out"; exit 0; fi
  sleep 0.3
done
printf '%s\\n' "$out"
cat "$1/avahi.log" >&2
exit 1
`;

/** One resolved service, from a `=` line of `avahi-browse -p -r`. */
export interface AvahiResolved {
  interface: string;
  protocol: string;
  name: string;
  type: string;
  domain: string;
  host: string;
  address: string;
  port: number;
  txt: string;
}

/** Why avahi cannot run here (a tool missing), or undefined. */
export async function avahiUnavailable(): Promise<string | undefined> {
  const tools: Array<[string, string[], string]> = [
    ['avahi-daemon', ['--version'], 'avahi-daemon'],
    ['avahi-browse', ['--version'], 'avahi-utils'],
    ['dbus-daemon', ['--version'], 'dbus'],
    ['unshare', ['--version'], 'util-linux'],
  ];
  for (const [tool, args, pkg] of tools) {
    const ok = await new Promise<boolean>((resolve) => execFile(tool, args, { timeout: 5000 }, (error) => resolve(error === null)));
    if (!ok) return `${tool} is not installed (apt-get install ${pkg})`;
  }
  return undefined;
}

/**
 * Starts avahi in a host's namespace and browses `type` with resolution (`avahi-browse -r -p -t`),
 * until a service resolves or `tries` browses are done. Resolves with what it resolved and the raw
 * output (which names what failed, e.g. "Failed to resolve service ... Timeout reached").
 */
export async function avahiResolve(lan: Lan, host: string, type: string, tries = 10, timeoutMs = 60_000): Promise<{ resolved: AvahiResolved[]; output: string; code: number | null }> {
  const dir = tempDir('avahi');
  writeFileSync(join(dir, 'bus.conf'), BUS_CONFIG);
  writeFileSync(join(dir, 'avahi.conf'), AVAHI_CONFIG);
  const child = lan.command(host, 'unshare', ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', SCRIPT, 'avahi-resolve', dir, type, String(tries)]);
  const timer = setTimeout(() => child.child.kill('SIGKILL'), timeoutMs);
  const result = await child.exited.finally(() => clearTimeout(timer));
  const resolved = result.stdout.split('\n').filter((line) => line.startsWith('=;')).map(parseResolvedLine);
  return { resolved, output: `${result.stdout}\n${result.stderr}`, code: result.code };
}

function parseResolvedLine(line: string): AvahiResolved {
  // =;eth0;IPv4;NAME;_parlor._tcp;local;HOST.local;ADDRESS;PORT;"k=v" "k=v"  (NAME escapes ; as \059)
  const [, iface, protocol, name, type, domain, host, address, port, ...txt] = line.split(';');
  return { interface: iface!, protocol: protocol!, name: name!, type: type!, domain: domain!, host: host!, address: address!, port: Number(port), txt: txt.join(';') };
}
