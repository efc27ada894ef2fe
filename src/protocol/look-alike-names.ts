// Look-alike keys of names (UTS #39 confusable skeletons) and the names reserved for the server,
// its bot and its operators: the server refuses them (src/server/look-alikes.ts, names.ts), and
// clients use the same rules so that a login form never starts with a name the server refuses.
// See src/server/look-alikes.ts for why a name has two keys.

import unhomoglyph from 'unhomoglyph';

/** UTS #39 skeleton: NFD, map each character to its confusable prototype, NFD again. */
export function skeleton(text: string): string {
  return unhomoglyph(text.normalize('NFD')).normalize('NFD');
}

/** Full case folding, near enough: "ß" upper-cases to "SS", so "Straße" folds to "strasse". */
function fullFold(text: string): string {
  return text.normalize('NFC').toUpperCase().toLowerCase();
}

/** The look-alike keys of a name: as written, and case-folded (see above). */
export function lookAlikeKeys(name: string): string[] {
  const asWritten = skeleton(name);
  // Folded before and after: a prototype may be a capital ("0" looks like "O"), so "r00t" meets "root".
  const folded = skeleton(fullFold(skeleton(fullFold(name))));
  return asWritten === folded ? [asWritten] : [asWritten, folded];
}

/**
 * Names that impersonate the server, its bot or its operators (issue 16). Compared by look-alike
 * key with "_", "." and "-" removed, so "Parlor_Bot", "p.a.r.l.o.r" and "АDMIN" are refused as well.
 */
const RESERVED_NAMES = [
  'bot', 'parlor', 'parlor-bot', 'parlorbot', 'server', 'system', 'sysop', 'operator', 'admin',
  'administrator', 'root', 'moderator', 'staff', 'support',
  'everyone', 'here', 'all', 'you', 'me', 'nobody', 'notice', 'announcement', 'status',
];
const withoutJoiners = (text: string) => text.replace(/[_.-]/g, '');
/** Look-alike key → the reserved name it belongs to. */
const reservedKeys = new Map(RESERVED_NAMES.flatMap((name) => lookAlikeKeys(withoutJoiners(name)).map((key) => [key, name] as const)));

/** The reserved name that `name` looks like, if any. */
export function reservedLookAlike(name: string): string | undefined {
  for (const key of lookAlikeKeys(withoutJoiners(name))) {
    const reserved = reservedKeys.get(key);
    if (reserved !== undefined) return reserved;
  }
  return undefined;
}
