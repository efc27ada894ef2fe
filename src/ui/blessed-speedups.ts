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
  // By code, then by the two attributes as one number: an attribute is 9 bits of background, 9 of
  // foreground and 5 of flags (23 bits), so the pair fits a double exactly.
  const codes = new Map<string, Map<number, number>>();
  let kept = 0;
  screen.attrCode = function (this: ScreenInternals, code: string, cur: number, def: number) {
    if (cur >>> 23 !== 0 || def >>> 23 !== 0) return attrCode.call(this, code, cur, def);
    let byAttrs = codes.get(code);
    if (!byAttrs) {
      if (kept >= ATTR_CODES_KEPT) {
        codes.clear();
        kept = 0;
      }
      codes.set(code, (byAttrs = new Map()));
    }
    const pair = cur * 0x800000 + def;
    let attr = byAttrs.get(pair);
    if (attr === undefined) {
      attr = attrCode.call(this, code, cur, def);
      byAttrs.set(pair, attr);
      kept++;
    }
    return attr;
  };
}
