// Whether a message mentions the reader: by both UIs, for the mention mark, the unread count's
// colour and the bell.

/** The user's name as a word of its own (or @name), in any letter case. */
export function mentions(text: string, name: string): boolean {
  if (name === '') return false;
  // Most text and names are ASCII, where letter case is simple: a text that does not hold the name
  // in any case cannot mention it, and the Unicode pattern need not run (every message, for every
  // SSH visitor of a room).
  if (ASCII.test(text) && ASCII.test(name) && !text.toLowerCase().includes(name.toLowerCase())) return false;
  return mentionPattern(name).test(text);
}

const ASCII = /^[\x00-\x7f]*$/;

/** Each name's pattern, made once (every message is checked against the reader's name). */
const mentionPatterns = new Map<string, RegExp>();
const MENTION_PATTERNS_KEPT = 1024;

function mentionPattern(name: string): RegExp {
  let pattern = mentionPatterns.get(name);
  if (!pattern) {
    if (mentionPatterns.size >= MENTION_PATTERNS_KEPT) mentionPatterns.clear();
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Not global nor sticky: test() keeps no position between texts.
    pattern = new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}(?![\\p{L}\\p{N}_])`, 'iu');
    mentionPatterns.set(name, pattern);
  }
  return pattern;
}
