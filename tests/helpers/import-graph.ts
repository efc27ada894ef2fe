// The runtime import graph of a TypeScript tree, for the import-cycle check (tests/import-cycles.test.ts).
// An edge is a static `import`/`export ... from` of a relative module that survives compilation:
// `import type` and `export type` are erased, but `import { type A }` is not (verbatimModuleSyntax
// keeps it as `import {}`, which still loads the module). A dynamic import() is no edge: it runs
// after every module has loaded, so it cannot meet a half-initialised one.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** `import X from '...'`, `export { A } from '...'`, `import './x.ts'`: no `=`, `(` or `;` inside a clause. */
const STATIC_IMPORT = /^\s*(import|export)\s+(?:([\w\s{},*$]*?)\s*from\s*)?'([^']+)';/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

/** file (relative to root) → the files it loads at run time. */
export function runtimeImports(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(root)) {
    const targets: string[] = [];
    for (const [, keyword, clause, specifier] of readFileSync(file, 'utf8').matchAll(STATIC_IMPORT)) {
      if (!specifier!.startsWith('.')) continue;
      if (keyword === 'export' && clause === undefined) continue; // not a re-export
      if (clause !== undefined && /^type\s/.test(clause)) continue; // import type / export type
      targets.push(relative(root, resolve(dirname(file), specifier!)));
    }
    graph.set(relative(root, file), targets);
  }
  return graph;
}

/** Every cycle of the graph, as one list of files per strongly connected component (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    const selfLoop = (graph.get(node) ?? []).includes(node);
    if (component.length > 1 || selfLoop) cycles.push(component.sort());
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}
