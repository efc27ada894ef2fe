// A one-line input field drawn as tagged text exactly `width` columns wide: the line editor's
// visible part, with a block cursor when the field has the focus.

import type { LineEditor } from './line-editor.ts';
import { escapeTags } from './safe-text.ts';

export function fieldText(editor: LineEditor, width: number, focused: boolean, mask = false): string {
  const { text, cursor } = editor.view(Math.max(1, width), mask);
  const chars = [...text];
  const visible = focused ? Math.max(chars.length, cursor + 1) : chars.length;
  const pad = ' '.repeat(Math.max(0, width - visible));
  if (!focused) return escapeTags(text) + pad;
  const under = chars[cursor] ?? ' ';
  return escapeTags(chars.slice(0, cursor).join('')) + `{inverse}${escapeTags(under)}{/inverse}` + escapeTags(chars.slice(cursor + 1).join('')) + pad;
}
