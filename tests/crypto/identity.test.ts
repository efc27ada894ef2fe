import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CLIENT_IDENTITY_FILE,
  loadOrCreateClientIdentity,
  loadOrCreateServerIdentity,
  SERVER_IDENTITY_FILE,
} from '../../src/crypto/identity.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('crypto/identity', () => {
  it('makes a client RSA-2048 identity once, mode 0600 in a 0700 dir, and loads the same one after', async () => {
    const dir = join(tempDir('id'), 'config');
    const first = await loadOrCreateClientIdentity(dir);
    const file = join(dir, CLIENT_IDENTITY_FILE);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(dir).mode & 0o777).to.equal(0o700);
    expect(first.modulus.length).to.equal(256);
    expect(first.privateKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    const again = await loadOrCreateClientIdentity(dir);
    expect(again.fingerprint).to.equal(first.fingerprint);
  });

  it('makes a server Ed25519 identity once and keeps it across starts', () => {
    const dir = tempDir('id');
    const first = loadOrCreateServerIdentity(dir);
    expect(statSync(join(dir, SERVER_IDENTITY_FILE)).mode & 0o777).to.equal(0o600);
    expect(loadOrCreateServerIdentity(dir).fingerprint).to.equal(first.fingerprint);
  });

  it('tightens a key file that others can read', () => {
    const dir = tempDir('id');
    loadOrCreateServerIdentity(dir);
    chmodSync(join(dir, SERVER_IDENTITY_FILE), 0o644);
    loadOrCreateServerIdentity(dir);
    expect(statSync(join(dir, SERVER_IDENTITY_FILE)).mode & 0o777).to.equal(0o600);
  });

  it('gives processes that start at once on a fresh dir one and the same identity', async () => {
    const dir = join(tempDir('id'), 'config');
    const module = new URL('../../src/crypto/identity.ts', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(module)}); const id = await m.loadOrCreateClientIdentity(${JSON.stringify(dir)}); process.stdout.write(id.fingerprint);`;
    const run = () =>
      new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
        child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
      });
    const prints = await Promise.all([run(), run(), run(), run()]);
    expect(new Set(prints).size, prints.join(' ')).to.equal(1);
    expect(existsSync(join(dir, CLIENT_IDENTITY_FILE))).to.equal(true);
    expect(readFileSync(join(dir, CLIENT_IDENTITY_FILE), 'utf8')).to.match(/^-----BEGIN PRIVATE KEY-----/);
  });
});
