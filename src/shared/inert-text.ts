// Text from other people, made safe to put on a terminal: it must not be able to move the cursor,
// change colours or the title, ring the bell, or reorder what is shown around it. Control
// characters are shown in caret notation (ESC as ^[), and bidi and other invisible format
// characters as <U+202E>, so that what was sent is visible rather than obeyed.

import { INVISIBLE_IN_NAME } from '../protocol/names.ts';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
// Bidi embeddings, overrides and isolates, marks, and the other invisible format characters.
const FORMAT = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g;

export function inertText(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text
    .replace(CONTROL, (char) => {
      // Multi-line output (the bot's) keeps its line breaks and tabs; nothing else is obeyed.
      if (options.keepNewlines && (char === '\n' || char === '\t')) return char;
      const code = char.charCodeAt(0);
      if (code === 0x7f) return '^?';
      if (code < 0x20) return '^' + String.fromCharCode(code + 0x40);
      return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
    })
    .replace(FORMAT, (char) => `<U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

// In a name nothing may be invisible: a default-ignorable character (U+034F, a variation selector,
// U+180B, ...) or a blank Hangul filler would make "alice" + U+034F pass for "alice". Servers refuse
// them in names; a client still shows them, in case a server did not.

/** A user or room name made inert, with every invisible character shown as <U+XXXX>. */
export function inertName(name: string): string {
  return inertText(name).replace(INVISIBLE_IN_NAME, (char) => `<U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}
