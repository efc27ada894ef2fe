// Every SSH visitor with a terminal gets a blessed Program, and each Program parses and compiles
// its terminal's terminfo entry into a few hundred functions: ~650 KiB of RSS per visitor, the
// same for every visitor with the same TERM. blessed has no option to share them, so this wraps
// Tput's setup (the one step that reads and compiles terminfo) to compile each terminal type once
// per process and hand later Tputs the same results. A compiled capability is a pure function of
// its parameters (it writes nothing itself: Program writes what it returns), so sharing is safe.

import { createRequire } from 'node:module';

interface TputLike {
  terminal: string;
  termcap?: boolean;
  padding?: boolean;
  extended?: boolean;
  printf?: boolean;
  setup(): void;
}

const require = createRequire(import.meta.url);
let installed = false;

export function shareCompiledTerminfo(): void {
  if (installed) return;
  installed = true;
  const Tput = require('blessed/lib/tput') as { prototype: TputLike };
  const setup = Tput.prototype.setup;
  const compiled = new Map<string, Record<string, unknown>>();
  Tput.prototype.setup = function (this: TputLike & Record<string, unknown>) {
    const key = JSON.stringify([this.terminal, Boolean(this.termcap), Boolean(this.padding), Boolean(this.extended), Boolean(this.printf)]);
    const known = compiled.get(key);
    if (known) {
      Object.assign(this, known);
      return;
    }
    const before = new Set(Object.keys(this));
    setup.call(this);
    const made: Record<string, unknown> = {};
    for (const name of Object.keys(this)) if (!before.has(name) || name === 'error') made[name] = this[name];
    compiled.set(key, made);
  };
}
