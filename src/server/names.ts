// What a user or room name may be, and the folded key that makes "Ada" and "ada" one name.
//
// Names are shown to everyone and typed in commands (/msg NAME ...), so: NFC-normalised; letters,
// marks, digits and a few joiners (_ . -) only, so no spaces, no control characters and no bidi
// overrides or zero-width characters that could make one name look like another or reorder text.
// Default-ignorable characters (U+034F, variation selectors, U+180B, ...) are refused even where
// they are marks or letters, and so are the Hangul fillers, letters that draw nothing (issue 17):
// "alice" + U+034F would otherwise be a second "alice". Names that merely look like another name
// are look-alikes.ts's concern.

import { ParlorError } from '../protocol/errors.ts';
import { foldName, INVISIBLE_IN_NAME } from '../protocol/names.ts';
import { reservedLookAlike } from '../protocol/look-alike-names.ts';

export { foldName };

const NAME_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N}_.-]*$/u;
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
  const invisible = display.match(INVISIBLE_IN_NAME);
  if (invisible) {
    const codePoint = invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    throw new ParlorError(code, `a ${what} cannot hold U+${codePoint}, a character that shows as nothing`);
  }
  if (!NAME_PATTERN.test(display)) {
    throw new ParlorError(code, `a ${what} is letters, digits, "_", "." and "-", starting with a letter or digit`);
  }
  return { display, key: foldName(display) };
}

export function checkUserName(raw: string): CheckedName {
  const checked = check(raw, 'name');
  const reserved = reservedLookAlike(checked.display);
  if (reserved !== undefined) throw new ParlorError('NAME_INVALID', `"${reserved}" and names like it are reserved: they would pass for the server`);
  return checked;
}

export function checkRoomName(raw: string): CheckedName {
  return check(raw.startsWith('#') ? raw.slice(1) : raw, 'room');
}

