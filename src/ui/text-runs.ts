// A box's text lines as runs of cells, made once per line and shared (fast-box-render.ts copies
// them into the screen): what blessed's render loop would write for each line, and for two lines
// that follow each other in a row, the columns where they differ.

import { unicode, type ScreenInternals } from './blessed-internals.ts';

/** One text line of a box as cells: what blessed's render loop writes for it. */
export interface Run {
  attrs: number[];
  chars: string[];
  /** For a cell with combining characters: the character blessed writes before adding them. */
  bases?: Array<string | undefined>;
  /** The line holds colour codes and nothing to show. */
  codesOnly: boolean;
  /** The attribute after the line (its trailing codes included): blessed fills the rest of the row with it. */
  endAttr: number;
}

export type ParsedLines = string[] & { attr?: number[]; ci: number[]; parlorRuns?: Map<string, Array<Run | null>> };

const SGR = /^\x1b\[[\d;]*m/;

/** Runs made from lines of any box, by their text and how they are drawn: the next frame's lines are mostly the last frame's. */
const RUNS_KEPT = 4096;
const runsByLine = new Map<string, Run | null>();

/** Rows past the end of the text, as a line of no cells in the attribute they are filled with. */
const blankRuns = new Map<number, Run>();

export function blankRun(fillAttr: number): Run {
  let run = blankRuns.get(fillAttr);
  if (!run) {
    if (blankRuns.size >= RUNS_KEPT) blankRuns.clear();
    blankRuns.set(fillAttr, (run = { attrs: [], chars: [], codesOnly: false, endAttr: fillAttr }));
  }
  return run;
}

/** The columns (inside a box of `width`, filled with `blank`) where a row showing `before` and one showing `after` differ. */
const betweenKept = new WeakMap<Run, WeakMap<Run, { width: number; blank: string; columns: number[] }>>();

export function cellsBetween(before: Run, after: Run, width: number, blank: string): number[] {
  let fromBefore = betweenKept.get(before);
  if (!fromBefore) betweenKept.set(before, (fromBefore = new WeakMap()));
  const known = fromBefore.get(after);
  if (known && known.width === width && known.blank === blank) return known.columns;
  const columns: number[] = [];
  for (let x = 0; x < width; x++) {
    const oldText = x < before.chars.length;
    const newText = x < after.chars.length;
    const oldAttr = oldText ? before.attrs[x] : before.endAttr;
    const newAttr = newText ? after.attrs[x] : after.endAttr;
    const oldCh = oldText ? before.chars[x] : blank;
    const newCh = newText ? after.chars[x] : blank;
    if (oldAttr !== newAttr || oldCh !== newCh) columns.push(x);
  }
  fromBefore.set(after, { width, blank, columns });
  return columns;
}

/**
 * The runs of a box's parsed lines for this width and style, kept on the parsed lines (shared by
 * every box showing the same text) and by line text (for the next frame's lines). Null when a line
 * is one this does not cover.
 */
export function runsFor(screen: ScreenInternals, ch: string, clines: ParsedLines, dattr: number, width: number): Array<Run | null> | null {
  const settings = `${width}\u0000${dattr}\u0000${ch}\u0000${screen.fullUnicode ? 1 : 0}`;
  clines.parlorRuns ??= new Map();
  let runs = clines.parlorRuns.get(settings);
  if (!runs) {
    runs = [];
    const attrs = clines.attr!;
    for (let i = 0; i < clines.length; i++) {
      const line = clines[i]!;
      const key = `${line}\u0000${attrs[i]}\u0000${settings}`;
      let run = runsByLine.get(key);
      if (run === undefined) {
        run = lineRun(screen, line, attrs[i]!, dattr, ch, width);
        if (runsByLine.size >= RUNS_KEPT) runsByLine.clear();
        runsByLine.set(key, run);
      }
      if (run === null) return null;
      runs.push(run);
    }
    // Parsed lines are kept per content (and shared); one set of runs per way of drawing them.
    if (clines.parlorRuns.size >= 4) clines.parlorRuns.clear();
    clines.parlorRuns.set(settings, runs);
  }
  return runs;
}

/**
 * One line as blessed's render loop draws it from `startAttr`: escape codes change the attribute,
 * a tab is a blank, with fullUnicode a surrogate pair is one cell and a combining character joins
 * the cell before it. Null for a line this does not cover: one wider than the box (its rest would
 * run on into the next row) or one that starts with a combining character.
 */
function lineRun(screen: ScreenInternals, line: string, startAttr: number, dattr: number, blank: string, width: number): Run | null {
  const attrs: number[] = [];
  const chars: string[] = [];
  let bases: Array<string | undefined> | undefined;
  let attr = startAttr;
  let i = 0;
  while (i < line.length) {
    let ch = line[i++]!;
    let ended = false;
    while (ch === '\x1b') {
      const code = SGR.exec(line.substring(i - 1));
      if (!code) break;
      i += code[0].length - 1;
      attr = screen.attrCode(code[0], attr, dattr);
      if (i >= line.length) {
        ended = true;
        break;
      }
      ch = line[i++]!;
    }
    if (ended) break;
    if (chars.length === width) return null;
    if (ch === '\t') ch = blank;
    if (screen.fullUnicode) {
      const point = unicode.codePointAt(line, i - 1);
      if (unicode.combining[point]) {
        if (point > 0xffff) ch = line[i - 1]! + line[i++]!;
        if (chars.length === 0) return null;
        bases ??= [];
        bases[chars.length - 1] ??= chars[chars.length - 1];
        chars[chars.length - 1] += ch;
        continue;
      }
      if (point > 0xffff) ch = line[i - 1]! + line[i++]!;
    }
    attrs.push(attr);
    chars.push(ch);
  }
  return { attrs, chars, ...(bases && { bases }), codesOnly: chars.length === 0 && line.length > 0, endAttr: attr };
}
