// Which chat lines are bot commands. Shared by the server (which refuses to relay one as chat) and
// the client (which refuses to seal one end to end, where the server could not tell).

/** A line is a command when it starts with `!` and a letter: `!!` and `! ` stay ordinary text. */
export function isCommandLine(line: string): boolean {
  return /^![a-z]/i.test(line);
}

export const COMMAND_AS_CHAT = 'that line is a bot command: send it as a command (write !! for a literal !)';
