// The PATH of /file and /groupfile as typed: the rest of the line, so that spaces need no quoting,
// or one quoted path ('...' or "...", as terminals paste a dragged file), or spaces escaped with
// a backslash (as shells and some terminals write them). `~` and `~/...` name the home dir.
// Pure: tested without a terminal.

/** The path in `text`, or a string saying what is wrong with it. */
export function parsePathArgument(text: string): { path: string } | { problem: string } {
  const trimmed = text.trim();
  if (trimmed === '') return { problem: 'which file?' };
  const quote = trimmed[0];
  if (quote === '"' || quote === "'") {
    const close = trimmed.indexOf(quote, 1);
    if (close < 0) return { problem: `the path has no closing ${quote}` };
    if (close !== trimmed.length - 1) return { problem: 'one path only (quote it whole)' };
    const path = trimmed.slice(1, close);
    return path === '' ? { problem: 'which file?' } : { path };
  }
  // Only what a shell would have escaped is unescaped: a lone backslash stays a backslash.
  return { path: trimmed.replace(/\\([ \\'"])/g, '$1') };
}

/** `~` or `~/rest` as the home dir; `~user` is left alone (it is a file name here). */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  if (path.startsWith('~/')) return home.replace(/\/+$/, '') + path.slice(1);
  return path;
}
