// Character widths as today's terminals give them, for blessed's model of the screen.
//
// blessed's width table predates Unicode 9, which made emoji (😀 U+1F600 and most of U+1F300–U+1FAFF)
// and some symbols (⌚ ☕ ⚡ ✅ ⭐ …) wide: blessed counts each as one cell, while the terminal
// (tmux, xterm, VTE, the SSH visitor's terminal: wcwidth from a current Unicode) moves the cursor two
// columns. Its table of combining marks is as old: a mark it does not know (U+1AB0…, many scripts'
// vowel signs) takes a cell of its own in blessed's model and none in the terminal. Either way
// everything written after it on a row lands a column away from where blessed believes, and its
// diff, which skips the cells it believes unchanged, leaves the terminal's old characters there for
// good (a stray "t" of "test" on every later row of a scrolling pane, until a resize redraws all).
// Here blessed is told what the terminal does: such characters are two columns wide
// (unicode.charWidth, which its wrapping, layout and screen diff ask) and followed in a box's text
// by the blank cell blessed gives every wide character to be covered (unicode.chars.all, which
// Element.parseContent uses to put it there); such marks join the cell before (unicode.combining).

import blessed from 'blessed';
import { eastAsianWidth } from 'get-east-asian-width';

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number;
  combining: Record<number, boolean>;
  chars: { all: RegExp; combining: RegExp };
}

/** The planes holding wide characters: the Basic and Supplementary Multilingual, and the ideographic ones. */
const LAST_CODE_POINT = 0x3ffff;

/**
 * Symbols Unicode 16 made wide after decades narrow (Yijing trigrams and digrams, Tai Xuan Jing,
 * counting rods): terminals' tables (glibc's wcwidth, which tmux asks) still count them one column.
 */
const WIDE_SINCE_UNICODE_16: Array<[number, number]> = [
  [0x2630, 0x2637],
  [0x268a, 0x268f],
  [0x1d300, 0x1d356],
  [0x1d360, 0x1d376],
];

/** Marks and format characters: zero columns in a terminal, joined to the character before. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

/**
 * Format characters a terminal does show, one column each: the soft hyphen and the prepended
 * concatenation marks (Arabic number signs and the like), as glibc's wcwidth counts them.
 */
const SHOWN_FORMAT: Array<[number, number]> = [
  [0xad, 0xad],
  [0x600, 0x605],
  [0x6dd, 0x6dd],
  [0x70f, 0x70f],
  [0x890, 0x891],
  [0x8e2, 0x8e2],
  [0x110bd, 0x110bd],
  [0x110cd, 0x110cd],
];

const within = (ranges: Array<[number, number]>, point: number) => ranges.some(([from, to]) => point >= from && point <= to);

let installed = false;

export function installTerminalWidths(): void {
  if (installed) return;
  installed = true;
  const unicode = (blessed as unknown as { unicode: Unicode }).unicode;
  const charWidth = unicode.charWidth;
  // The characters blessed counts as one column that a terminal shows two wide (Unicode's East
  // Asian Width table) or joins to the character before (marks); and those it counts two wide
  // without giving them the blank cell after (its regex and its table disagree).
  const wide = new Uint8Array(LAST_CODE_POINT + 1);
  const added = { blankAfter: [] as number[], marks: [] as number[] };
  const blankAfter = new RegExp(`^(?:${unicode.chars.all.source})$`);
  // blessed's own width last: it is by far the slowest to ask.
  for (let point = 0xa0; point <= LAST_CODE_POINT; point++) {
    if (point >= 0xd800 && point <= 0xdfff) continue;
    const char = String.fromCodePoint(point);
    const hasBlank = blankAfter.test(char);
    if ((eastAsianWidth(point) === 2 && !within(WIDE_SINCE_UNICODE_16, point)) || hasBlank) {
      const width = charWidth.call(unicode, point);
      if (width === 0) continue;
      if (width === 1) wide[point] = 1;
      if (!hasBlank) added.blankAfter.push(point);
    } else if (ZERO_WIDTH.test(char) && !within(SHOWN_FORMAT, point) && charWidth.call(unicode, point) === 1) {
      added.marks.push(point);
    }
  }

  unicode.charWidth = function (str: string | number, i?: number) {
    const width = charWidth.call(this, str, i);
    if (width !== 1) return width;
    const point = typeof str === 'number' ? str : unicode.codePointAt(str, i ?? 0);
    return wide[point] === 1 ? 2 : 1;
  };
  // Where blessed's render and parlor's fast boxes (fast-box-render.ts) join a mark to the cell
  // before, and blessed's width answers zero.
  for (const point of added.marks) unicode.combining[point] = true;

  unicode.chars.all = withCharacters(unicode.chars.all, added.blankAfter);
  unicode.chars.combining = withCharacters(unicode.chars.combining, added.marks);
}

/**
 * A regex of blessed's matching its characters or the ones given. blessed's regexes are not
 * Unicode ones (a surrogate pair is spelt as two code units): the added characters are spelt the
 * same way, a class of low surrogates per high surrogate.
 */
function withCharacters(regex: RegExp, points: number[]): RegExp {
  if (points.length === 0) return regex;
  const bmp: number[] = [];
  const astral = new Map<number, number[]>();
  for (const point of points) {
    if (point <= 0xffff) {
      bmp.push(point);
      continue;
    }
    const pair = String.fromCodePoint(point);
    const high = pair.charCodeAt(0);
    let lows = astral.get(high);
    if (!lows) astral.set(high, (lows = []));
    lows.push(pair.charCodeAt(1));
  }
  const alternatives = [...astral].map(([high, lows]) => `${unitEscape(high)}[${ranges(lows)}]`);
  if (bmp.length > 0) alternatives.push(`[${ranges(bmp)}]`);
  // One group round the whole, as blessed's replacements ('$1\x03') take the match from group 1.
  return new RegExp(`(${regex.source}|${alternatives.join('|')})`, regex.flags);
}

function unitEscape(unit: number): string {
  return `\\u${unit.toString(16).padStart(4, '0')}`;
}

/** Sorted code units as a character class's ranges (`\uXXXX-\uYYYY`). */
function ranges(units: number[]): string {
  let out = '';
  for (let i = 0; i < units.length; ) {
    let j = i;
    while (j + 1 < units.length && units[j + 1] === units[j]! + 1) j++;
    out += j === i ? unitEscape(units[i]!) : `${unitEscape(units[i]!)}-${unitEscape(units[j]!)}`;
    i = j + 1;
  }
  return out;
}
