// Plugins: every module in the --plugins folder is loaded and its default export (a definition,
// or an array of them) offered to the registry. Loading is where plugins break (a syntax error, a
// throwing top level, no export), so each failure is caught and reported with the file's name,
// and the server starts without that plugin. parlor itself runs compiled JavaScript; a plugin
// written in TypeScript is loaded through tsx, which is imported only when such a plugin exists.

import { readdir } from 'node:fs/promises';
import { register } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledModule } from '../package-root.ts';

export interface LoadedPlugins {
  candidates: Array<{ definition: unknown; source: string }>;
  problems: Array<{ source: string; problem: string }>;
}

/** Module files a plugin may be written as; tests and type declarations beside them are not plugins. */
const PLUGIN_FILE = /^(?!.*\.(test|spec|d)\.[cm]?[jt]s$)[^.].*\.(mjs|js|ts|mts)$/;

/** Folders whose files already load as ES modules (hooks are registered once per folder). */
const esmFolders = new Set<string>();

/** Makes every .ts and .js file under `folder` load as an ES module (see plugin-hooks.ts). */
function loadAsEsm(folder: string): void {
  const url = pathToFileURL(folder + '/').href;
  if (esmFolders.has(url)) return;
  esmFolders.add(url);
  // From the sources (tests, tsx) the hooks are plugin-hooks.ts beside this module; built, they
  // are dist/'s plugin-hooks.js, wherever this module is (dist/ or the bundle of it).
  const hooks = import.meta.url.endsWith('.ts') ? new URL('./plugin-hooks.ts', import.meta.url) : compiledModule('commands/plugin-hooks.js');
  register(hooks, { data: { folder: url } });
}

const TYPESCRIPT_FILE = /\.m?ts$/;

async function importPlugin(url: string): Promise<unknown> {
  if (!TYPESCRIPT_FILE.test(url)) return import(url);
  // tsImport registers tsx for this import (and what it imports) only, not for the whole process.
  const { tsImport } = await import('tsx/esm/api');
  const module = (await tsImport(url, import.meta.url)) as { default?: unknown };
  // Outside a "type": "module" package a .ts file is compiled as CommonJS, so its `export default`
  // arrives one level down (module.default.default); unwrap it so both layouts load alike.
  const inner = module.default as { default?: unknown } | undefined;
  return typeof inner === 'object' && inner !== null && 'default' in inner && Object.keys(module).length === 1 ? { default: inner.default } : module;
}

export async function loadPlugins(dir: string): Promise<LoadedPlugins> {
  const folder = resolve(dir);
  const loaded: LoadedPlugins = { candidates: [], problems: [] };
  let files: string[];
  try {
    files = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile() && PLUGIN_FILE.test(e.name)).map((e) => e.name).sort();
  } catch (error) {
    loaded.problems.push({ source: folder, problem: `the plugins folder cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
    return loaded;
  }
  if (files.length > 0) loadAsEsm(folder);
  for (const file of files) {
    const source = `plugin ${file}`;
    try {
      const module = (await importPlugin(pathToFileURL(join(folder, file)).href)) as { default?: unknown };
      if (module.default === undefined) {
        loaded.problems.push({ source, problem: 'it has no default export (export default a command definition)' });
        continue;
      }
      const definitions = Array.isArray(module.default) ? module.default : [module.default];
      for (const definition of definitions) loaded.candidates.push({ definition, source });
    } catch (error) {
      loaded.problems.push({ source, problem: `it failed to load: ${((error as Error).message ?? String(error)).split('\n')[0]!.slice(0, 300)}` });
    }
  }
  return loaded;
}
