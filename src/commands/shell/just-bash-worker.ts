// One `!shell` run under just-bash, in a worker thread of its own that the parent terminates at
// the deadline (see just-bash-engine.ts). It runs compiled (dist/) with no loader (execArgv is
// empty); just-bash is never imported into the server's own thread, where its defence-in-depth
// patches of globals would apply too.
//
// In: workerData = { command, commands, executionLimits, diskBytes, maxHomeEntries, home }.
// Out: one message { stdout, stderr, exitCode, home, homeError } or { failure }.

import { parentPort, workerData } from 'node:worker_threads';
import { Bash, InMemoryFs, type BashOptions, type CommandName } from 'just-bash';
import type { HomeEntry } from './just-bash-engine.ts';

const HOME = '/home/user';

async function restoreHome(fs: InMemoryFs, entries: HomeEntry[]): Promise<void> {
  const dirs: HomeEntry[] = [];
  for (const entry of entries) {
    const path = `${HOME}/${entry.path}`;
    if (entry.type === 'dir') {
      await fs.mkdir(path, { recursive: true });
      dirs.push(entry);
    } else if (entry.type === 'file') {
      await fs.writeFile(path, entry.data ?? new Uint8Array());
      await fs.chmod(path, entry.mode & 0o7777);
      await fs.utimes(path, new Date(entry.mtimeMs), new Date(entry.mtimeMs));
    } else if (entry.type === 'symlink') {
      await fs.symlink(entry.target ?? '', path);
    } else if (entry.type === 'hardlink') {
      await fs.link(`${HOME}/${entry.target ?? ''}`, path);
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
async function saveHome(fs: InMemoryFs, maxEntries: number): Promise<HomeEntry[]> {
  const entries: HomeEntry[] = [];
  let root;
  try {
    root = await fs.lstat(HOME);
  } catch {
    return entries; // the user removed their home: it is saved empty
  }
  if (!root.isDirectory) return entries; // replaced by a file or a symlink: not followed
  const firstPathOf = new Map<string, string>();
  async function walk(dir: string, prefix: string): Promise<void> {
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

interface ShellJob {
  command: string;
  commands: CommandName[];
  executionLimits: BashOptions['executionLimits'];
  diskBytes: number;
  maxHomeEntries: number;
  home: HomeEntry[];
}

async function main(): Promise<void> {
  // The parent (just-bash-engine.ts) built this job; it is trusted as typed.
  const { command, commands, executionLimits, diskBytes, maxHomeEntries, home } = workerData as ShellJob;
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
  let saved: HomeEntry[] | undefined;
  let homeError: string | undefined;
  try {
    saved = await saveHome(fs, maxHomeEntries);
  } catch (error) {
    homeError = error instanceof Error ? error.message : String(error);
  }
  parentPort!.postMessage({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, home: saved, homeError });
}

main().catch((error) => {
  parentPort!.postMessage({ failure: error instanceof Error ? error.message : String(error) });
});
