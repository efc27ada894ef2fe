// Character widths as today's terminals give them, for blessed's model of the screen.
//
// blessed's width table predates Unicode 9, which made emoji (😀 U+1F600 and most of U+1F300–U+1FAFF)
// and some symbols (⌚ ☕ ⚡ ✅ ⭐ …) wide: blessed counts each as one cell, while the terminal
// (tmux, xterm, VTE, the SSH visitor's terminal: wcwidth from a current Unicode) moves the cursor two
// columns. Everything written after such a character on a row then lands one column right of where
// blessed believes it is, and its diff, which skips the cells it believes unchanged, leaves the
// terminal's old characters there for good (a stray "t" of "test" on every later row of a scrolling
// pane, until a resize redraws everything). Here those characters are made wide in blessed's eyes
// too: two columns wide (unicode.charWidth, which its wrapping, layout and screen diff ask), and
// followed in a box's text by the blank cell that blessed gives every wide character to be covered
// (unicode.chars.all, which Element.parseContent uses to put it there).

import blessed from 'blessed';
import { eastAsianWidth } from 'get-east-asian-width';

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  codePointAt(str: string, i: number): number;
  chars: { all: RegExp };
}

/** The planes holding wide characters: the Basic and Supplementary Multilingual, and the ideographic ones. */
const LAST_CODE_POINT = 0x3ffff;

let installed = false;

export function installTerminalWidths(): void {
  if (installed) return;
  installed = true;
  const unicode = (blessed as unknown as { unicode: Unicode }).unicode;
  const charWidth = unicode.charWidth;
  // The characters wide in Unicode's East Asian Width table (as terminals count them) that blessed
  // counts as one column.
  const wide = new Uint8Array(LAST_CODE_POINT + 1);
  const bmp: number[] = [];
  const astral = new Map<number, number[]>();
  for (let point = 0xa0; point <= LAST_CODE_POINT; point++) {
    if (point >= 0xd800 && point <= 0xdfff) continue;
    if (eastAsianWidth(point) !== 2 || charWidth.call(unicode, point) !== 1) continue;
    wide[point] = 1;
    if (point <= 0xffff) {
      bmp.push(point);
    } else {
      const pair = String.fromCodePoint(point);
      const high = pair.charCodeAt(0);
      let lows = astral.get(high);
      if (!lows) astral.set(high, (lows = []));
      lows.push(pair.charCodeAt(1));
    }
  }

  unicode.charWidth = function (str: string | number, i?: number) {
    const width = charWidth.call(this, str, i);
    if (width !== 1) return width;
    const point = typeof str === 'number' ? str : unicode.codePointAt(str, i ?? 0);
    return wide[point] === 1 ? 2 : 1;
  };

  // blessed's regex is not a Unicode one (its surrogate pairs are spelt as two code units): the
  // added characters are spelt the same way, a class of low surrogates per high surrogate.
  const alternatives = [...astral].map(([high, lows]) => `${unitEscape(high)}[${ranges(lows)}]`);
  if (bmp.length > 0) alternatives.push(`[${ranges(bmp)}]`);
  const all = unicode.chars.all;
  unicode.chars.all = new RegExp(`(${all.source.slice(1, -1)}|${alternatives.join('|')})`, all.flags);
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
