// Every SSH visitor with a terminal gets a blessed Program, and each Program parses and compiles
// its terminal's terminfo entry into a few hundred functions: ~650 KiB of RSS per visitor, the
// same for every visitor with the same TERM. blessed has no option to share them, so this wraps
// Tput's setup (the one step that reads and compiles terminfo) to compile each terminal type once
// per process and hand later Tputs the same results. A compiled capability is a pure function of
// its parameters (it writes nothing itself: Program writes what it returns), so sharing is safe.
//
// Shared by prototype, not copied: a later Tput inherits the compiled entry from an object made
// once per terminal type. Program's own setup then walks the Tput's own keys only, so what it
// would have built per visitor from each capability (the Program's copy of it, and a `put.NAME`
// closure that writes its output: several hundred properties and closures, ~250 KiB a visitor)
// comes from objects made once per terminal type as well, with the same behaviour.

import { createRequire } from 'node:module';

type Capabilities = Record<string | symbol, unknown>;

interface TputLike {
  terminal: string;
  termcap?: boolean;
  padding?: boolean;
  extended?: boolean;
  printf?: boolean;
  setup(): void;
  _print(code: string, write: (text: string) => unknown): unknown;
}

interface ProgramLike {
  tput: TputLike & Capabilities;
  put: ((...args: unknown[]) => unknown) & Capabilities;
  _write(text: string): unknown;
  setupTput(): void;
}

const require = createRequire(import.meta.url);
/** The program a `put` belongs to: its shared capabilities write through it. */
const PROGRAM = Symbol('parlor.program');
let installed = false;

export function shareCompiledTerminfo(): void {
  if (installed) return;
  installed = true;
  const Tput = require('blessed/lib/tput') as { prototype: TputLike };
  const Program = require('blessed/lib/program') as { prototype: ProgramLike };
  /** Per terminal type: the compiled entry, as the prototype of every later Tput for it. */
  const compiled = new Map<string, Capabilities>();
  /** Per compiled entry: what Program's setup builds from it, made once. */
  const derived = new Map<Capabilities, { program: Capabilities; put: Capabilities }>();

  const setup = Tput.prototype.setup;
  Tput.prototype.setup = function (this: TputLike & Capabilities) {
    const key = JSON.stringify([this.terminal, Boolean(this.termcap), Boolean(this.padding), Boolean(this.extended), Boolean(this.printf)]);
    let entry = compiled.get(key);
    if (!entry) {
      const before = new Set(Object.keys(this));
      setup.call(this);
      const made: Capabilities = {};
      for (const name of Object.keys(this)) if (!before.has(name) || name === 'error') made[name] = this[name];
      entry = Object.assign(Object.create(Tput.prototype) as Capabilities, made);
      compiled.set(key, entry);
      derived.set(entry, deriveFromEntry(entry, Program.prototype));
    }
    for (const name of Object.keys(entry)) if (Object.hasOwn(this, name)) delete this[name];
    Object.setPrototypeOf(this, entry);
  };

  const setupTput = Program.prototype.setupTput;
  Program.prototype.setupTput = function (this: ProgramLike & Capabilities) {
    if (this._tputSetup) return;
    // blessed's own setup: the Tput, `put`, and what it finds on the Tput's own keys.
    setupTput.call(this);
    const shared = derived.get(Object.getPrototypeOf(this.tput) as Capabilities);
    if (!shared) return;
    // The compiled entry's part, as blessed would have done it: copied to the program where it has
    // no such property of its own (here: inherited), and `put.NAME` for each.
    for (const name of Object.keys(shared.program)) if (Object.hasOwn(this, name) && this[name] == null) this[name] = shared.program[name];
    Object.setPrototypeOf(this, shared.program);
    this.put[PROGRAM] = this;
    Object.setPrototypeOf(this.put, shared.put);
  };
}

/** What blessed's Program.setupTput makes of a compiled entry, built once for every program. */
function deriveFromEntry(entry: Capabilities, programPrototype: object): { program: Capabilities; put: Capabilities } {
  const program = Object.create(programPrototype) as Capabilities;
  const put = Object.create(Function.prototype) as Capabilities;
  for (const name of Object.keys(entry)) {
    const value = entry[name];
    if ((programPrototype as Capabilities)[name] == null) program[name] = value;
    if (typeof value !== 'function') {
      put[name] = value;
      continue;
    }
    put[name] = function (this: Capabilities, ...args: unknown[]) {
      const owner = this[PROGRAM] as ProgramLike;
      const tput = owner.tput;
      const code = (tput[name] as (...a: unknown[]) => string).apply(tput, args);
      return tput.padding ? tput._print(code, (text) => owner._write(text)) : owner._write(code);
    };
  }
  return { program, put };
}
