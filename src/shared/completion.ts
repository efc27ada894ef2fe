// Tab completion of the word before the cursor: commands at the start of a line, rooms after `#`
// or after a command that takes a room, names after `@` or elsewhere. Repeated Tab cycles through
// the matches. Pure: tested without a terminal.

import { COMMAND_NAMES } from './slash-commands.ts';

export interface CompletionSources {
  users: readonly string[];
  rooms: readonly string[];
  /** Bot commands the server offers, with their `!`, when known. */
  botCommands?: readonly string[];
}

const ROOM_COMMANDS = new Set(['/join', '/leave', '/part', '/members', '/showgroupmembers', '/group', '/groupfile']);

/** The candidates for the last word of `line`, in order, and where that word starts. */
export function completionCandidates(line: string, sources: CompletionSources): { start: number; matches: string[] } {
  const start = line.search(/\S*$/);
  const word = line.slice(start);
  const before = line.slice(0, start).trim();
  const firstWord = before.split(/\s+/)[0]?.toLowerCase() ?? '';
  let pool: readonly string[];
  let prefix = '';
  let stem = word;
  if (before === '' && word.startsWith('/')) pool = COMMAND_NAMES;
  else if (before === '' && word.startsWith('!')) pool = sources.botCommands ?? [];
  else if (word.startsWith('#')) {
    pool = sources.rooms;
    prefix = '#';
    stem = word.slice(1);
  } else if (word.startsWith('@')) {
    pool = sources.users;
    prefix = '@';
    stem = word.slice(1);
  } else if (ROOM_COMMANDS.has(firstWord) && before.split(/\s+/).length === 1) pool = sources.rooms;
  else pool = sources.users;
  const folded = stem.toLowerCase();
  const matches = [...new Set(pool)].filter((c) => c.toLowerCase().startsWith(folded) && c.length > 0).sort((a, b) => a.localeCompare(b)).map((c) => prefix + c);
  return { start, matches };
}

/**
 * One press of Tab. `cycle` carries what the previous press offered, so that pressing again
 * moves to the next match instead of starting over.
 */
export function completeLine(
  line: string,
  sources: CompletionSources,
  cycle?: { start: number; matches: string[]; index: number },
): { line: string; cycle?: { start: number; matches: string[]; index: number } } {
  if (cycle && cycle.matches.length > 1) {
    const index = (cycle.index + 1) % cycle.matches.length;
    const head = line.slice(0, cycle.start);
    return { line: withWord(head, cycle.matches[index]!, head === '' && !/^[/!#@]/.test(cycle.matches[index]!)), cycle: { ...cycle, index } };
  }
  const { start, matches } = completionCandidates(line, sources);
  if (matches.length === 0) return { line };
  const head = line.slice(0, start);
  // A name completed at the very start of a line is addressed, as in IRC: "alice: ".
  if (matches.length === 1) return { line: withWord(head, matches[0]!, head === '' && !/^[/!#@]/.test(matches[0]!)) };
  return { line: withWord(head, matches[0]!, false).replace(/ $/, ''), cycle: { start, matches, index: 0 } };
}

function withWord(head: string, word: string, addressed: boolean): string {
  return `${head}${word}${addressed ? ': ' : ' '}`;
}
