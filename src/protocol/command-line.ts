// Which chat lines are bot commands. Shared by the server (which refuses to relay one as chat) and
// the client (which refuses to seal one end to end, where the server could not tell).

/** A line is a command when it starts with `!` and a letter: `!!` and `! ` stay ordinary text. */
export function isCommandLine(line: string): boolean {
  return /^![a-z]/i.test(line);
}

export const COMMAND_AS_CHAT = 'that line is a bot command: send it as a command (write !! for a literal !)';

/**
 * The text a chat line stands for: a line of two or more `!` then a letter carries one `!` of
 * escape (`!!echo` is the text `!echo`, `!!!x` is `!!x`), which this drops; any other line is its
 * own text. The server applies it to `say` and `dm`, a client to what it seals end to end, so that
 * the text stored, relayed and shown is what the writer meant (docs/protocol.md 4.1).
 */
export function unescapeChatLine(line: string): string {
  return /^!!+[a-z]/i.test(line) ? line.slice(1) : line;
}
