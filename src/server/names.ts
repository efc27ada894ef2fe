// What a user or room name may be, and the folded key that makes "Ada" and "ada" one name.
//
// Names are shown to everyone and typed in commands (/msg NAME ...), so: NFC-normalised; letters,
// marks, digits and a few joiners (_ . -) only, so no spaces, no control characters and no bidi
// overrides or zero-width characters that could make one name look like another or reorder text.

import { ParlorError } from '../protocol/errors.ts';
import { foldName } from '../protocol/names.ts';

export { foldName };

const NAME_PATTERN = /^[\p{L}\p{M}\p{N}][\p{L}\p{M}\p{N}_.-]*$/u;
export const NAME_MAX_CHARS = 32;

export interface CheckedName {
  /** As the user wrote it, NFC-normalised: what others see. */
  display: string;
  /** Folded (NFC, lower case): what uniqueness and lookups use. */
  key: string;
}

function check(raw: string, what: 'name' | 'room'): CheckedName {
  const display = raw.normalize('NFC');
  const code = what === 'name' ? 'NAME_INVALID' : 'ROOM_INVALID';
  const length = [...display].length;
  if (length < 1 || length > NAME_MAX_CHARS) {
    throw new ParlorError(code, `a ${what} has 1 to ${NAME_MAX_CHARS} characters`);
  }
  if (!NAME_PATTERN.test(display)) {
    throw new ParlorError(code, `a ${what} is letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
  return { display, key: foldName(display) };
}

export function checkUserName(raw: string): CheckedName {
  return check(raw, 'name');
}

export function checkRoomName(raw: string): CheckedName {
  return check(raw.startsWith('#') ? raw.slice(1) : raw, 'room');
}

