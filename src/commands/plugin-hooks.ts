// Module hooks (node:module register) for one plugins folder: every .ts and .js file in it loads as
// an ES module, whatever package.json governs (or does not govern) the folder. Without them, a
// plugin copied to a folder with no package.json is read as CommonJS, and its `export default`
// fails (tsx: "Cannot require() ES Module ... in a cycle"). Packages under node_modules keep
// their own format. Runs on Node's hooks thread: it must not import parlor's modules.

interface HookData {
  /** The folder's file URL, ending with "/". */
  folder: string;
}

interface Resolved {
  url: string;
  format?: string | null;
  [key: string]: unknown;
}

let folder = '';

export function initialize(data: HookData): void {
  folder = data.folder;
}

export async function resolve(
  specifier: string,
  context: unknown,
  nextResolve: (specifier: string, context: unknown) => Promise<Resolved>,
): Promise<Resolved> {
  const resolved = await nextResolve(specifier, context);
  if (!resolved.url.startsWith(folder) || resolved.url.includes('/node_modules/')) return resolved;
  return /\.(ts|js)$/.test(new URL(resolved.url).pathname) ? { ...resolved, format: 'module' } : resolved;
}
