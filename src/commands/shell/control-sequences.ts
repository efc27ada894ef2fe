// What a sandboxed command prints goes to another person's terminal. It must not be able to move
// their cursor, recolour or retitle their window, ring the bell, set the clipboard (OSC 52) or hide
// text behind a carriage return, so every terminal control sequence is removed, not escaped: the
// output of `!shell` is meant to be read as plain text. Newline and tab are the only controls kept.

// String sequences (OSC, DCS, SOS, PM, APC) run until BEL or ST; an unterminated one runs to the
// end, as a terminal would swallow it. Their 8-bit C1 forms count too.
const STRING_SEQUENCE = /(?:\u001b[\]PX^_]|[\u0090\u0098\u009d\u009e\u009f])[\s\S]*?(?:\u0007|\u001b\\|\u009c|$)/g;
// CSI: ESC [ (or the 8-bit CSI) then parameter bytes, intermediate bytes and one final byte.
const CSI = /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?/g;
// Every other escape: ESC, any intermediate bytes, one final byte (ESC c resets the terminal).
const OTHER_ESCAPE = /\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;
// What is left of C0 (but newline and tab), DEL and C1.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function stripControlSequences(text: string): string {
  return text.replace(STRING_SEQUENCE, '').replace(CSI, '').replace(OTHER_ESCAPE, '').replace(CONTROL, '');
}

/** Cuts text to at most maxBytes of UTF-8, on a character boundary. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, truncated: false };
  let end = maxBytes;
  // Step back over continuation bytes so that no character is cut in half.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return { text: bytes.subarray(0, end).toString('utf8'), truncated: true };
}
