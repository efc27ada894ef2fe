import { expect } from 'chai';
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { decodeAdvert, decodeProbe, encodeAdvert, encodeProbe, PROBE_BYTES, type AdvertFields } from '../../src/discovery/datagrams.ts';
import { directedBroadcast, sameSubnet, subnetHosts } from '../../src/discovery/interfaces.ts';

const fields: AdvertFields = {
  name: 'lan-party',
  host: '198.51.100.10',
  port: 7447,
  fingerprint: 'SHA256:' + 'A'.repeat(43),
  password: 'pizza-at-8',
  protocol: 1,
  users: 3,
};

describe('discovery/datagrams', () => {
  it('round-trips a probe and the advert that answers it', () => {
    const { bytes, nonce } = encodeProbe();
    expect(bytes.length).to.equal(PROBE_BYTES);
    expect(decodeProbe(bytes)).to.deep.equal(nonce);
    const advert = encodeAdvert(nonce, fields, bytes.length)!;
    expect(advert.length).to.be.at.most(bytes.length);
    expect(decodeAdvert(advert)).to.deep.equal({ nonce, fields });
  });

  it('never answers with more bytes than the probe: short probes are not probes', () => {
    const { bytes } = encodeProbe();
    expect(decodeProbe(bytes.subarray(0, PROBE_BYTES - 1))).to.equal(undefined);
    const huge = { ...fields, password: 'x'.repeat(256), name: 'n'.repeat(64) };
    expect(encodeAdvert(randomBytes(16), huge, 300)).to.equal(undefined);
    expect(encodeAdvert(randomBytes(16), huge, PROBE_BYTES)!.length).to.be.at.most(PROBE_BYTES);
  });

  it('drops malformed, oversize and invalid adverts', () => {
    const advert = encodeAdvert(randomBytes(16), fields, PROBE_BYTES)!;
    const bad = [
      Buffer.alloc(0),
      advert.subarray(0, 22),
      Buffer.concat([advert, Buffer.alloc(PROBE_BYTES)]),
      Buffer.concat([advert.subarray(0, 22), Buffer.from('{not json')]),
      Buffer.concat([advert.subarray(0, 22), Buffer.from(JSON.stringify({ ...fields, fingerprint: 'MD5:xx' }))]),
      Buffer.concat([advert.subarray(0, 22), Buffer.from(JSON.stringify({ ...fields, port: 0 }))]),
    ];
    for (const bytes of bad) expect(decodeAdvert(bytes)).to.equal(undefined);
  });

  it('meets 10,000 random and mutated datagrams without a throw', () => {
    const advert = encodeAdvert(randomBytes(16), fields, PROBE_BYTES)!;
    const { bytes: probe } = encodeProbe();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1100 }), fc.nat(), (random, at) => {
        for (const base of [advert, probe]) {
          const mutated = Buffer.from(base);
          mutated[at % mutated.length]! ^= 0xff;
          decodeAdvert(mutated);
          decodeProbe(mutated);
        }
        decodeAdvert(Buffer.from(random));
        decodeProbe(Buffer.from(random));
      }),
      { numRuns: 10_000 },
    );
  });

  it('computes directed broadcast addresses and subnets', () => {
    expect(directedBroadcast('198.51.100.20', '255.255.255.0')).to.equal('198.51.100.255');
    expect(directedBroadcast('10.1.2.3', '255.255.240.0')).to.equal('10.1.15.255');
    expect(directedBroadcast('192.0.2.77', '255.255.255.252')).to.equal('192.0.2.79');
    expect(sameSubnet('198.51.100.20', '198.51.100.10', '255.255.255.0')).to.equal(true);
    expect(sameSubnet('203.0.113.9', '198.51.100.10', '255.255.255.0')).to.equal(false);
  });

  it('lists the host addresses of a subnet for --scan, itself excluded, and nothing for larger than /24', () => {
    const hosts = subnetHosts({ name: 'eth0', address: '198.51.100.20', netmask: '255.255.255.0', broadcast: '198.51.100.255' });
    expect(hosts).to.have.length(253);
    expect(hosts[0]).to.equal('198.51.100.1');
    expect(hosts.at(-1)).to.equal('198.51.100.254');
    expect(hosts).not.to.include('198.51.100.20');
    expect(subnetHosts({ name: 'p2p', address: '192.0.2.77', netmask: '255.255.255.252', broadcast: '192.0.2.79' })).to.deep.equal(['192.0.2.78']);
    expect(subnetHosts({ name: 'big', address: '10.0.0.5', netmask: '255.255.0.0', broadcast: '10.0.255.255' })).to.deep.equal([]);
  });
});
