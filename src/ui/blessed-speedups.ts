// Two caches in blessed's colour parsing, which its profile shows as most of a frame's cost. Each
// render re-reads the colours of every line of every box (Element._parseAttr, twice a frame: from
// setContent and again from render), parsing each SGR code with a split and a switch
// (Screen.attrCode). Both are pure functions of their inputs, so their answers are kept: a box's
// line colours until its content is parsed again (a new line array) or its style changes, and
// each (code, colour before, default) once. What is drawn is unchanged; the local UI and the SSH
// front door's visitors (many screens in one process) both draw with them.

import blessed from 'blessed';

type LineAttrs = string[] & { parlorAttrs?: { dattr: number; attrs: number[] | undefined } };

interface ElementInternals {
  sattr(style: unknown): number;
  style: unknown;
  _parseAttr(lines: LineAttrs): number[] | undefined;
}

interface ScreenInternals {
  attrCode(code: string, cur: number, def: number): number;
}

/** How many distinct (code, colour, default) answers are kept before the cache starts again. */
const ATTR_CODES_KEPT = 4096;

let installed = false;

export function installBlessedSpeedups(): void {
  if (installed) return;
  installed = true;
  const widgets = blessed as unknown as { Element: { prototype: ElementInternals }; Screen: { prototype: ScreenInternals } };
  const element = widgets.Element.prototype;
  const parseAttr = element._parseAttr;
  element._parseAttr = function (this: ElementInternals, lines: LineAttrs) {
    const dattr = this.sattr(this.style);
    const kept = lines.parlorAttrs;
    if (kept && kept.dattr === dattr) return kept.attrs;
    const attrs = parseAttr.call(this, lines);
    lines.parlorAttrs = { dattr, attrs };
    return attrs;
  };

  const screen = widgets.Screen.prototype;
  const attrCode = screen.attrCode;
  const codes = new Map<string, number>();
  screen.attrCode = function (this: ScreenInternals, code: string, cur: number, def: number) {
    const key = `${code}|${cur}|${def}`;
    let attr = codes.get(key);
    if (attr === undefined) {
      if (codes.size >= ATTR_CODES_KEPT) codes.clear();
      attr = attrCode.call(this, code, cur, def);
      codes.set(key, attr);
    }
    return attr;
  };
}
