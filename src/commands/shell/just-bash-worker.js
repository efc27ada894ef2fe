// One `!shell` run under just-bash, in a worker thread of its own that the parent terminates at
// the deadline (see just-bash-engine.ts). This file is plain JavaScript on purpose: the worker
// starts with no loader (execArgv is empty), so it needs none, and just-bash is never imported
// into the server's own thread, where its defence-in-depth patches of globals would apply too.
//
// In: workerData = { command, commands, executionLimits, diskBytes, maxHomeEntries, home }.
// Out: one message { stdout, stderr, exitCode, home, homeError } or { failure }.

import { parentPort, workerData } from 'node:worker_threads';
import { Bash, InMemoryFs } from 'just-bash';

const HOME = '/home/user';

async function restoreHome(fs, entries) {
  const dirs = [];
  for (const entry of entries) {
    const path = `${HOME}/${entry.path}`;
    if (entry.type === 'dir') {
      await fs.mkdir(path, { recursive: true });
      dirs.push(entry);
    } else if (entry.type === 'file') {
      await fs.writeFile(path, entry.data);
      await fs.chmod(path, entry.mode & 0o7777);
      await fs.utimes(path, new Date(entry.mtimeMs), new Date(entry.mtimeMs));
    } else if (entry.type === 'symlink') {
      await fs.symlink(entry.target, path);
    } else if (entry.type === 'hardlink') {
      await fs.link(`${HOME}/${entry.target}`, path);
    }
  }
  // Directories last, deepest first, so that writing their contents did not change their times.
  for (const entry of dirs.reverse()) {
    const path = `${HOME}/${entry.path}`;
    await fs.chmod(path, entry.mode & 0o7777);
    await fs.utimes(path, new Date(entry.mtimeMs), new Date(entry.mtimeMs));
  }
}

/** The home as a list of entries, parents before children; hard links kept as links, not copies. */
async function saveHome(fs, maxEntries) {
  const entries = [];
  let root;
  try {
    root = await fs.lstat(HOME);
  } catch {
    return entries; // the user removed their home: it is saved empty
  }
  if (!root.isDirectory) return entries; // replaced by a file or a symlink: not followed
  const firstPathOf = new Map();
  async function walk(dir, prefix) {
    for (const name of (await fs.readdir(dir)).sort()) {
      if (entries.length >= maxEntries) throw new Error(`more than ${maxEntries} files in the home`);
      const absolute = `${dir}/${name}`;
      const path = prefix === '' ? name : `${prefix}/${name}`;
      const stat = await fs.lstat(absolute);
      const base = { path, mode: stat.mode, mtimeMs: stat.mtime.getTime() };
      if (stat.isSymbolicLink) {
        entries.push({ ...base, type: 'symlink', target: await fs.readlink(absolute) });
      } else if (stat.isDirectory) {
        entries.push({ ...base, type: 'dir' });
        await walk(absolute, path);
      } else if (stat.isFile) {
        const identity = stat.identity ?? (stat.ino === undefined ? undefined : String(stat.ino));
        const first = identity === undefined ? undefined : firstPathOf.get(identity);
        if (first !== undefined) {
          entries.push({ ...base, type: 'hardlink', target: first });
        } else {
          if (identity !== undefined) firstPathOf.set(identity, path);
          // A copy of exactly the file's bytes: a view into a larger buffer would carry all of it.
          entries.push({ ...base, type: 'file', data: new Uint8Array(await fs.readFileBuffer(absolute)) });
        }
      }
    }
  }
  await walk(HOME, '');
  return entries;
}

async function main() {
  const { command, commands, executionLimits, diskBytes, maxHomeEntries, home } = workerData;
  const fs = new InMemoryFs(undefined, { maxTotalBytes: diskBytes });
  // Nothing reaches outside: no `network` and no `fetch` (so no curl), no python, no javascript;
  // only the listed commands exist. The environment is just-bash's own defaults plus nothing.
  const bash = new Bash({
    fs,
    commands,
    executionLimitProfile: 'hardened',
    executionLimits,
    python: false,
    javascript: false,
    defenseInDepth: true,
  });
  await restoreHome(fs, home);
  const result = await bash.exec(command);
  let saved;
  let homeError;
  try {
    saved = await saveHome(fs, maxHomeEntries);
  } catch (error) {
    homeError = error instanceof Error ? error.message : String(error);
  }
  parentPort.postMessage({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, home: saved, homeError });
}

main().catch((error) => {
  parentPort.postMessage({ failure: error instanceof Error ? error.message : String(error) });
});
