// `parlor discover` as users run it, on this machine only (--broadcast 127.255.255.255 --no-mdns):
// across real subnets and with mDNS it is tested in namespaces (tests/discovery/lan.test.ts).

import { expect } from 'chai';
import { networkInterfaces } from 'node:os';
import { runParlor } from '../helpers/run-parlor.ts';

const LOCAL_ONLY = ['--broadcast', '127.255.255.255', '--no-mdns', '--timeout', '300'];

describe('cli: parlor discover', () => {
  it('refuses an interface that does not exist with BAD_OPTION (exit 2), listing the ones that do', async () => {
    const result = await runParlor(['discover', '--interface', 'nosuch0', ...LOCAL_ONLY]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^parlor: BAD_OPTION: --interface: there is no interface nosuch0; /);
    expect(result.stderr).not.to.include('broadcast probes were turned off');
    const usable = Object.entries(networkInterfaces()).filter(([, addresses]) => (addresses ?? []).some((a) => a.family === 'IPv4' && !a.internal));
    if (usable.length === 0) expect(result.stderr).to.include('no interface with an IPv4 address');
    for (const [name] of usable) expect(result.stderr).to.include(`${name} (`);
  });

  it('refuses an interface with no IPv4 address to probe from (loopback) with BAD_OPTION', async () => {
    const loopback = Object.entries(networkInterfaces()).find(([, addresses]) => (addresses ?? []).every((a) => a.internal))?.[0] ?? 'lo';
    const result = await runParlor(['discover', '--interface', loopback, ...LOCAL_ONLY]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.include(`BAD_OPTION: --interface: ${loopback} has no IPv4 address to probe from`);
  });
});
