// Writes src/ui/terminal-width-table.ts: the characters whose width blessed's old tables get wrong,
// as today's terminals count them (why: src/ui/terminal-widths.ts). Worked out here, once, rather
// than at every start of a terminal UI: walking every code point took ~90 ms. Run
// `npm run gen:widths` after updating get-east-asian-width or blessed; tests/ui/terminal-width-table.test.ts
// fails (`--check`) until the table matches.

import blessed from 'blessed';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eastAsianWidth } from 'get-east-asian-width';

const TABLE = fileURLToPath(new URL('../src/ui/terminal-width-table.ts', import.meta.url));

interface Unicode {
  charWidth(str: string | number, i?: number): number;
  chars: { all: RegExp };
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

type Ranges = Array<[number, number]>;

/** Sorted code points as ranges. */
function asRanges(points: number[]): Ranges {
  const out: Ranges = [];
  for (const point of points) {
    const last = out[out.length - 1];
    if (last && last[1] === point - 1) last[1] = point;
    else out.push([point, point]);
  }
  return out;
}

/**
 * The characters blessed counts as one column that a terminal shows two wide (Unicode's East Asian
 * Width table) or joins to the character before (marks); and those it counts two wide without
 * giving them the blank cell after (its regex and its table disagree). Asked of blessed's own
 * tables, as it ships them.
 */
function scan(unicode: Unicode): { wide: Ranges; blankAfter: Ranges; marks: Ranges } {
  const wide: number[] = [];
  const blankAfterPoints: number[] = [];
  const marks: number[] = [];
  const blankAfter = new RegExp(`^(?:${unicode.chars.all.source})$`);
  // blessed's own width last: it is by far the slowest to ask.
  for (let point = 0xa0; point <= LAST_CODE_POINT; point++) {
    if (point >= 0xd800 && point <= 0xdfff) continue;
    const char = String.fromCodePoint(point);
    const hasBlank = blankAfter.test(char);
    if ((eastAsianWidth(point) === 2 && !within(WIDE_SINCE_UNICODE_16, point)) || hasBlank) {
      const width = unicode.charWidth(point);
      if (width === 0) continue;
      if (width === 1) wide.push(point);
      if (!hasBlank) blankAfterPoints.push(point);
    } else if (ZERO_WIDTH.test(char) && !within(SHOWN_FORMAT, point) && unicode.charWidth(point) === 1) {
      marks.push(point);
    }
  }
  return { wide: asRanges(wide), blankAfter: asRanges(blankAfterPoints), marks: asRanges(marks) };
}

function hex(point: number): string {
  return `0x${point.toString(16)}`;
}

/** Eight ranges a line: the table is data, read by the code, not by people. */
function rangesSource(ranges: Ranges): string {
  const lines: string[] = [];
  for (let i = 0; i < ranges.length; i += 8) lines.push(`  ${ranges.slice(i, i + 8).map(([from, to]) => `[${hex(from)}, ${hex(to)}],`).join(' ')}`);
  return `[\n${lines.join('\n')}\n]`;
}

function tableSource(): string {
  const { wide, blankAfter, marks } = scan((blessed as unknown as { unicode: Unicode }).unicode);
  return `// Written by \`npm run gen:widths\` (scripts/terminal-widths.ts) from get-east-asian-width and
// blessed's own tables; do not edit. How it is used: terminal-widths.ts.

/** Characters blessed counts one column wide that terminals show two wide. */
export const WIDE: ReadonlyArray<readonly [number, number]> = ${rangesSource(wide)};

/** Wide characters that blessed does not follow with the blank cell a wide character covers. */
export const BLANK_AFTER: ReadonlyArray<readonly [number, number]> = ${rangesSource(blankAfter)};

/** Marks blessed counts one column wide that terminals join to the character before. */
export const MARKS: ReadonlyArray<readonly [number, number]> = ${rangesSource(marks)};
`;
}

const source = tableSource();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(TABLE, 'utf8');
  } catch {
    // Missing: not the same.
  }
  if (current !== source) {
    console.error(`${TABLE} is not what get-east-asian-width and blessed give today: run \`npm run gen:widths\``);
    process.exit(1);
  }
} else {
  writeFileSync(TABLE, source);
  console.log(`wrote ${TABLE}`);
}
