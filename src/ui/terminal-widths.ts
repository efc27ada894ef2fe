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

// The characters concerned are worked out at build time (scripts/terminal-widths.ts writes
// terminal-width-table.ts): walking every code point at each start took ~90 ms.

import blessed from 'blessed';
import { BLANK_AFTER, MARKS, WIDE } from './terminal-width-table.ts';

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number;
  combining: Record<number, boolean>;
  chars: { all: RegExp; combining: RegExp };
}

type Ranges = ReadonlyArray<readonly [number, number]>;

let installed = false;

export function installTerminalWidths(): void {
  if (installed) return;
  installed = true;
  const unicode = (blessed as unknown as { unicode: Unicode }).unicode;
  const charWidth = unicode.charWidth;
  const wide = new Uint8Array((WIDE[WIDE.length - 1]?.[1] ?? 0) + 1);
  for (const [from, to] of WIDE) wide.fill(1, from, to + 1);
  unicode.charWidth = function (str: string | number, i?: number) {
    const width = charWidth.call(this, str, i);
    if (width !== 1) return width;
    const point = typeof str === 'number' ? str : unicode.codePointAt(str, i ?? 0);
    return wide[point] === 1 ? 2 : 1;
  };
  // Where blessed's render and parlor's fast boxes (fast-box-render.ts) join a mark to the cell
  // before, and blessed's width answers zero.
  for (const [from, to] of MARKS) for (let point = from; point <= to; point++) unicode.combining[point] = true;

  unicode.chars.all = withCharacters(unicode.chars.all, BLANK_AFTER);
  unicode.chars.combining = withCharacters(unicode.chars.combining, MARKS);
}

/**
 * A regex of blessed's matching its characters or the ones given. blessed's regexes are not
 * Unicode ones (a surrogate pair is spelt as two code units): the added characters are spelt the
 * same way, a class of low surrogates per high surrogate.
 */
function withCharacters(regex: RegExp, given: Ranges): RegExp {
  if (given.length === 0) return regex;
  const bmp: number[] = [];
  const astral = new Map<number, number[]>();
  for (const [from, to] of given) {
    for (let point = from; point <= to; point++) {
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
