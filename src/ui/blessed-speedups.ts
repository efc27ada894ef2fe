// Two caches in blessed's colour parsing, which its profile shows as most of a frame's cost, and a quick cell width for ASCII. Each
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

interface ParsedContent {
  clines: LineAttrs & { width: number; content: string; attr?: number[] };
  pcontent: string;
}

interface ContentElement extends ElementInternals {
  detached: boolean;
  content: string;
  width: number;
  iwidth: number;
  parseTags: boolean;
  align: string;
  wrap: boolean;
  shrink: boolean;
  scrollbar: unknown;
  type: string;
  screen: { fullUnicode: boolean; tabc: string; program: { terminal: string; isiTerm2: boolean; tput: { colors: number } } };
  _clines: ParsedContent['clines'] | null;
  _pcontent: string;
  parseContent(noTags?: boolean): boolean;
  emit(event: string): void;
}

interface ScreenInternals {
  attrCode(code: string, cur: number, def: number): number;
}

/** Parsed contents kept for boxes marked with shareParsedContent. */
const PARSED_CONTENTS_KEPT = 64;
const SHARED = Symbol('parlor.shareParsedContent');

/**
 * Boxes in many screens of one process that often show the very same text (the SSH visitors'
 * message panes, on the same room): the text is parsed once (blessed's tags, wrapping, escapes)
 * and the result shared, read-only, by every box showing it with the same settings.
 */
export function shareParsedContent(box: blessed.Widgets.BlessedElement): void {
  (box as unknown as Record<symbol, boolean>)[SHARED] = true;
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

  const content = widgets.Element.prototype as unknown as ContentElement;
  const parseContent = content.parseContent;
  const parsed = new Map<string, ParsedContent & { settings: string }>();
  content.parseContent = function (this: ContentElement & Record<symbol, boolean>, noTags?: boolean) {
    const width = this.width - this.iwidth;
    const current = this._clines;
    const fresh = current != null && current.width === width && current.content === this.content;
    if (!this[SHARED] || this.detached || fresh) return parseContent.call(this, noTags);
    // Everything blessed's parse reads besides the text: what it yields for the same key is the same.
    const { program } = this.screen;
    // Keyed by the text alone, with the settings beside it: a key made of both would be a new long
    // string to build and hash at every frame of every screen.
    const settings = `${width}\0${noTags ? 1 : 0}${this.parseTags ? 1 : 0}${this.wrap ? 1 : 0}${this.shrink ? 1 : 0}${this.scrollbar ? 1 : 0}${this.screen.fullUnicode ? 1 : 0}${program.isiTerm2 ? 1 : 0}\0${this.align}\0${this.type}\0${this.screen.tabc}\0${program.terminal}\0${program.tput.colors}`;
    const text = this.content;
    const known = parsed.get(text);
    if (!known || known.settings !== settings) {
      const result = parseContent.call(this, noTags);
      if (this._clines) {
        if (!known && parsed.size >= PARSED_CONTENTS_KEPT) parsed.delete(parsed.keys().next().value!);
        parsed.set(text, { settings, clines: this._clines, pcontent: this._pcontent });
      }
      return result;
    }
    // As blessed's own parse ends, with the shared lines (their colours are worked out per box's style).
    this._clines = known.clines;
    this._pcontent = known.pcontent;
    this._clines.attr = this._parseAttr(this._clines) ?? this._clines.attr;
    this.emit('parsed content');
    return true;
  };

  // The screen's draw asks the width of every cell it writes (with fullUnicode, as both UIs run):
  // blessed's answer walks its combining table and some thirty wide ranges even for ASCII, which
  // is one column. Printable ASCII is answered at once; anything else as before.
  const unicode = (blessed as unknown as { unicode: { charWidth(str: string | number, i?: number): number } }).unicode;
  const charWidth = unicode.charWidth;
  unicode.charWidth = function (str: string | number, i?: number) {
    if (typeof str === 'string' && !i) {
      const code = str.charCodeAt(0);
      if (code >= 0x20 && code < 0x7f) return 1;
    }
    return charWidth.call(this, str, i);
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
