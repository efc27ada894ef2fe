// Times and folded notice lines, shared by the chat's view (chat-view.ts) and the transfers' view
// (transfer-view.ts): here, so that neither of those imports the other back.

import { inertText } from '../client/inert-text.ts';
import { escapeTags } from './safe-text.ts';

export function clock(ts: number): string {
  const d = new Date(ts);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** When someone last spoke: a time today, else a date. */
export function lastSpoke(ts: number | null, now = Date.now()): string {
  if (ts === null) return '–';
  const d = new Date(ts);
  return new Date(now).toDateString() === d.toDateString() ? clock(ts) : `${d.getMonth() + 1}/${d.getDate()}`;
}

/** Columns before a notice's text: "HH:MM", a space, a two-column mark, a space. */
export const NOTICE_INDENT = 9;

/**
 * Words of a notice folded to `width` columns, each line made safe for blessed: so that a long
 * notice (a fingerprint, the key-change warning) wraps under its own text, not under the time.
 */
export function noticeLines(text: string, width: number): string[] {
  const room = Math.max(10, width);
  return inertText(text, { keepNewlines: true }).replace(/\t/g, '    ').split('\n').flatMap((line) => {
    const out: string[] = [];
    let current = '';
    for (const word of line.split(/(?<= )/)) {
      let rest = word;
      // A word longer than a line (a fingerprint on a narrow screen) is cut, filling the line first.
      while (current.length + rest.trimEnd().length > room) {
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
    return out.map(escapeTags);
  });
}
