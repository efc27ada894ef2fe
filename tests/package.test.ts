// The package as a user gets it: `npm pack`, then `npm install ./parlor-*.tgz` in an empty folder,
// then the installed binary runs --version, serve and send. It proves that the tarball carries
// the build (dist/), the cats and everything else parlor needs at run time, and that its
// dependencies come from the npm registry alone. Slow (an install of ~140 packages), so one test.
//
// The network rule: the install runs --offline, from npm's cache. The cache holds the tarballs of
// this checkout's own install but not the registry's package lists, so the empty folder gets a
// package-lock.json made from this checkout's (the runtime entries only): npm then needs no list.

import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startServerProcess } from './helpers/server-process.ts';
import { skipOrFail } from './helpers/skip.ts';
import { tempDir } from './helpers/temp-dir.ts';

const execFileAsync = promisify(execFile);
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

interface LockEntry {
  dev?: boolean;
  [field: string]: unknown;
}

/** A lock for a folder whose one dependency is the tarball: this checkout's runtime entries. */
function lockForTarball(tarball: string): object {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const packages: Record<string, unknown> = {
    '': { name: 'parlor-install-check', dependencies: { parlor: `file:${tarball}` } },
    'node_modules/parlor': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      license: manifest.license,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
      engines: manifest.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && entry.dev !== true) packages[path] = entry;
  }
  return { name: 'parlor-install-check', lockfileVersion: 3, requires: true, packages };
}

async function npm(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('npm', args, { cwd, env: { ...process.env, npm_config_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false' }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: failed.stdout + failed.stderr };
  }
}

describe('the packed package', () => {
  it('installs from its tarball into an empty folder and runs --version, serve and send', async function () {
    this.timeout(20 * 60_000);
    const folder = tempDir('parlor-pack');
    // dist/ is fresh (the root hook built it), so prepare need not run again.
    const packed = await npm(['pack', '--ignore-scripts', '--pack-destination', folder], REPO_ROOT);
    expect(packed.code, packed.output).to.equal(0);
    const tarball = readdirSync(folder).find((name) => /^parlor-.*\.tgz$/.test(name));
    expect(tarball, packed.output).to.be.a('string');

    const listing = await execFileAsync('tar', ['-tzf', join(folder, tarball!)]);
    const files = listing.stdout.split('\n').filter(Boolean);
    expect(files).to.include.members(['package/bin/parlor.js', 'package/dist/bundle/cli/main.js', 'package/dist/commands/shell/just-bash-worker.js', 'package/dist/commands/plugin-hooks.js']);
    expect(files.filter((file) => /^package\/(tests|bench|src|docs|examples|scripts)\//.test(file)), 'left out of the tarball').to.deep.equal([]);
    expect(files.some((file) => file.startsWith('package/cats/') && file.endsWith('.jpg'))).to.equal(true);

    writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'parlor-install-check', private: true }));
    writeFileSync(join(folder, 'package-lock.json'), JSON.stringify(lockForTarball(tarball!)));
    const installed = await npm(['install', `./${tarball}`], folder);
    if (installed.code !== 0 && /ENOTCACHED/.test(installed.output)) {
      skipOrFail(this, `npm's cache lacks a package parlor needs (run npm install here first): ${/request to \S+/.exec(installed.output)?.[0] ?? ''}`);
    }
    expect(installed.code, installed.output).to.equal(0);

    const version = await npm(['exec', '--', 'parlor', '--version'], folder);
    expect(version.code, version.output).to.equal(0);
    expect(version.output.trim()).to.equal(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);

    // npm left better-sqlite3's build script unrun (no allowScripts here), so the server is --ephemeral.
    const bin = join(folder, 'node_modules', 'parlor', 'bin', 'parlor.js');
    const server = await startServerProcess(['--ephemeral', '--no-discovery', '--password', 'pw'], 30_000, bin);
    const sent = await execFileAsync(process.execPath, [bin, 'send', '--server', `127.0.0.1:${server.port}`, '--password', 'pw', '--name', 'ada', '--config', tempDir('parlor-pack-cfg'), '--fingerprint', server.fingerprint, 'hello', 'from', 'the', 'tarball']);
    expect(Number(sent.stdout.trim())).to.be.greaterThan(0);
    await server.stop();
  });
});
