// Times and folded notice lines, shared by the chat's view (chat-view.ts) and the transfers' view
// (transfer-view.ts): here, so that neither of those imports the other back.

import { safeFold } from './text-layout.ts';

export { clock, lastSpoke } from '../shared/notices.ts';

/** Columns before a notice's text: "HH:MM", a space, a two-column mark, a space. */
export const NOTICE_INDENT = 9;

/** Words of a notice folded to `width` columns: a long notice wraps under its own text, not under the time. */
export function noticeLines(text: string, width: number): string[] {
  return safeFold(text, width);
}
