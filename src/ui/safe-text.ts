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
/** Names made safe, kept: the member list draws every name again at each message (a few hundred names per screen). */
const SAFE_NAMES_KEPT = 4096;

/** `answer`'s answers, kept by text, at most `limit` of them (then all forgotten at once). */
function keptAnswers(limit: number, answer: (text: string) => string): (text: string) => string {
  const answers = new Map<string, string>();
  return (text) => {
    let known = answers.get(text);
    if (known === undefined) {
      if (answers.size >= limit) answers.clear();
      known = answer(text);
      answers.set(text, known);
    }
    return known;
  };
}

const safeShortText = keptAnswers(SAFE_TEXTS_KEPT, (text) => escapeTags(inertText(text)));

/** Network text, safe to put into content with tags on. */
export function safeText(text: string, options: { keepNewlines?: boolean } = {}): string {
  // Short one-line texts (the status bar's, the room list's) are drawn again at every frame: kept.
  if (options.keepNewlines || text.length > SAFE_TEXT_KEPT_LENGTH) return escapeTags(inertText(text, options));
  return safeShortText(text);
}

/** A user or room name from the network, with any invisible character shown (<U+034F>). */
export const safeName = keptAnswers(SAFE_NAMES_KEPT, (name) => escapeTags(inertName(name)));
