// Everything another person typed passes through here before it reaches a blessed widget: first
// made inert (control and bidi characters shown, not obeyed: src/shared/inert-text.ts), then its
// braces escaped, because blessed reads `{red-fg}` or `{/}` in content as markup and a message
// must not be able to restyle the screen or close the styles around it.

import { inertName, inertText } from '../shared/inert-text.ts';

export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (brace) => (brace === '{' ? '{open}' : '{close}'));
}

/** Short texts made safe, kept (safeText): at most this many, of at most this length. */
const SAFE_TEXTS_KEPT = 1024;
const SAFE_TEXT_KEPT_LENGTH = 200;
const safeTexts = new Map<string, string>();

/** Network text, safe to put into content with tags on. */
export function safeText(text: string, options: { keepNewlines?: boolean } = {}): string {
  // Short one-line texts (the status bar's, the room list's) are drawn again at every frame: kept.
  if (options.keepNewlines || text.length > SAFE_TEXT_KEPT_LENGTH) return escapeTags(inertText(text, options));
  let safe = safeTexts.get(text);
  if (safe === undefined) {
    if (safeTexts.size >= SAFE_TEXTS_KEPT) safeTexts.clear();
    safe = escapeTags(inertText(text));
    safeTexts.set(text, safe);
  }
  return safe;
}

/** Names made safe, kept: the member list draws every name again at each message (a few hundred names per screen). */
const SAFE_NAMES_KEPT = 4096;
const safeNames = new Map<string, string>();

/** A user or room name from the network, with any invisible character shown (<U+034F>). */
export function safeName(name: string): string {
  let safe = safeNames.get(name);
  if (safe === undefined) {
    if (safeNames.size >= SAFE_NAMES_KEPT) safeNames.clear();
    safe = escapeTags(inertName(name));
    safeNames.set(name, safe);
  }
  return safe;
}
