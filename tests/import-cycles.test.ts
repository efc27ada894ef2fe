// No runtime import cycle in src/: in a cycle, whichever module loads first sees the other half
// initialised, and one top-level use of a shared name throws a ReferenceError (the gate that
// `npm test` runs; the graph is tests/helpers/import-graph.ts).

import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importCycles, runtimeImports } from './helpers/import-graph.ts';
import { tempDir } from './helpers/temp-dir.ts';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

describe('import cycles', () => {
  it('src/ has no runtime import cycle', () => {
    const graph = runtimeImports(SRC);
    expect(graph.size).to.be.greaterThan(100);
    expect(importCycles(graph)).to.deep.equal([]);
  });

  it('finds a cycle through imports and re-exports, and none through type-only or dynamic imports', () => {
    const root = tempDir('cycles');
    mkdirSync(join(root, 'ui'));
    const files: Record<string, string> = {
      'a.ts': "import { b } from './ui/b.ts';\nexport const a = 1;\n",
      'ui/b.ts': "export { c as b } from '../c.ts';\n",
      'c.ts': "import {\n  a,\n  type Unused,\n} from './a.ts';\nexport const c = a;\n",
      'd.ts': "import type { E } from './e.ts';\nexport type D = E;\nexport const load = () => import('./e.ts');\n",
      'e.ts': "import { load } from './d.ts';\nexport type E = number;\nexport const e = load;\n",
    };
    for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
    expect(importCycles(runtimeImports(root))).to.deep.equal([['a.ts', 'c.ts', 'ui/b.ts']]);
  });
});
