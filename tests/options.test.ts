import { expect } from 'chai';
import { defaultConfigDir, defaultDataDir, parseOptions, parseServerAddress, serverOptionsSchema } from '../src/options.ts';
import { ParlorError } from '../src/protocol/errors.ts';

describe('options', () => {
  it('parses HOST:PORT, [IPv6]:PORT, bare IPv6 and bare hosts', () => {
    expect(parseServerAddress('192.0.2.1:4000')).to.deep.equal({ host: '192.0.2.1', port: 4000 });
    expect(parseServerAddress('[fe80::1%eth0]:4000')).to.deep.equal({ host: 'fe80::1%eth0', port: 4000 });
    expect(parseServerAddress('::1')).to.deep.equal({ host: '::1', port: 7447 });
    expect(parseServerAddress('printer.lan')).to.deep.equal({ host: 'printer.lan', port: 7447 });
  });

  for (const bad of ['', 'host:0', 'host:65536', 'host:port', 'a b', '[::1]:x']) {
    it(`refuses the address "${bad}" with BAD_ADDRESS`, () => {
      expect(() => parseServerAddress(bad)).to.throw(ParlorError).with.property('code', 'BAD_ADDRESS');
    });
  }

  it('follows XDG for config and data dirs', () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/c', HOME: '/h' })).to.equal('/c/parlor');
    expect(defaultConfigDir({ HOME: '/h' })).to.equal('/h/.config/parlor');
    expect(defaultDataDir({ XDG_DATA_HOME: '/d', HOME: '/h' })).to.equal('/d/parlor');
    expect(defaultDataDir({ HOME: '/h' })).to.equal('/h/.local/share/parlor');
  });

  it('fills defaults and names every bad value with BAD_OPTION', () => {
    const options = parseOptions(serverOptionsSchema, { dataDir: '/tmp/x' });
    expect(options).to.include({ host: '::', port: 7447, ephemeral: false, handshakeTimeoutMs: 10_000 });
    expect(options.preLoginFrameCap).to.be.below(options.frameCap);
    expect(() => parseOptions(serverOptionsSchema, { port: -1, name: 'a\u202eb' }))
      .to.throw(ParlorError)
      .with.property('message')
      .that.matches(/port/)
      .and.matches(/name/);
  });
});
