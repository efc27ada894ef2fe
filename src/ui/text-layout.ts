// Where the chat's text goes on a line, without a terminal: long text folded at word boundaries
// under its own start (a hanging indent, never back to column 0), and the day-change lines between
// entries of different local days. Pure (safeFold adds blessed's escaping): the web client lays
// out the same way.

import { inertText } from '../shared/inert-text.ts';
import { escapeTags } from './safe-text.ts';

/**
 * Network text made inert and folded: the first line `firstWidth` columns wide, the rest
 * `restWidth`. A word longer than a line (a fingerprint on a narrow screen) is cut, filling the
 * line first. The lines are plain text: a screen escapes its own markup (blessed: safeFold).
 */
export function foldText(text: string, firstWidth: number, restWidth = firstWidth): string[] {
  const widthOf = (index: number) => Math.max(10, index === 0 ? firstWidth : restWidth);
  const out: string[] = [];
  for (const line of inertText(text, { keepNewlines: true }).replace(/\t/g, '    ').split('\n')) {
    let current = '';
    for (const word of line.split(/(?<= )/)) {
      let rest = word;
      while (current.length + rest.trimEnd().length > widthOf(out.length)) {
        const room = widthOf(out.length);
        if (rest.trimEnd().length <= room && current.trim() !== '') {
          out.push(current.trimEnd());
          current = '';
          break;
        }
        const fits = room - current.length;
        if (fits <= 1) {
          out.push(current.trimEnd());
          current = '';
          continue;
        }
        out.push(current + rest.slice(0, fits));
        current = '';
        rest = rest.slice(fits);
      }
      current += rest;
    }
    out.push(current.trimEnd());
  }
  return out;
}

/** foldText for blessed: each line with its braces escaped, so it cannot restyle the screen. */
export function safeFold(text: string, firstWidth: number, restWidth = firstWidth): string[] {
  return foldText(text, firstWidth, restWidth).map(escapeTags);
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** The local calendar day of a time, as a key to compare. */
export function localDay(ts: number): string {
  const d = new Date(ts);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** "— Friday 4 December —", with the year when it is not this year's. */
export function dayChangeText(ts: number, now = Date.now()): string {
  const d = new Date(ts);
  const year = d.getFullYear() === new Date(now).getFullYear() ? '' : ` ${d.getFullYear()}`;
  return `— ${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]}${year} —`;
}

/**
 * Where day-change lines go among entries in time order: before entry i when its local day
 * differs from the entry before it, and before the first when that one is not from today.
 */
export function dayChanges(times: readonly number[], now = Date.now()): Set<number> {
  const at = new Set<number>();
  times.forEach((ts, i) => {
    const previous = i === 0 ? now : times[i - 1]!;
    if (localDay(ts) !== localDay(previous)) at.add(i);
  });
  return at;
}
