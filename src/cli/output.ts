// How the CLI reports: one JSON object a line with --json, short sentences otherwise, and errors
// as "parlor: CODE: message" on stderr with a non-zero exit, so scripts can match the code.

import { asParlorError, isErrorCode, ParlorError, type ErrorCode } from '../protocol/errors.ts';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/**
 * The CLI's own way to what an error asks for, by code: the server's words name no front's
 * commands ("create it first"), and a CLI user should not be sent to the UI's slash commands.
 */
const CLI_HINTS: Partial<Record<ErrorCode, string>> = {
  NOT_OPERATOR: 'with parlor send, pass --op PASSWORD',
  ROOM_NOT_FOUND: 'the CLI verbs join rooms but do not create them: create it in the UI, or pick another with --room',
};

/** Exit codes: 1 for an error with a code, 2 for a bad command line (as commander uses). */
export function exitWithError(error: unknown): never {
  const reason = error instanceof ParlorError ? error : asParlorError(error);
  const detail = reason.code === 'INTERNAL' && reason.cause instanceof Error ? `: ${reason.cause.message}` : '';
  const hint = isErrorCode(reason.code) ? CLI_HINTS[reason.code] : undefined;
  process.stderr.write(`parlor: ${reason.code}: ${reason.message}${detail}${hint === undefined ? '' : ` (${hint})`}\n`);
  process.exit(reason.code === 'BAD_OPTION' || reason.code === 'BAD_ADDRESS' ? 2 : 1);
}

/** Parses a whole-number flag, failing as BAD_OPTION with the flag's name. */
export function integerFlag(name: string): (value: string) => number {
  return (value) => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) {
      throw new ParlorError('BAD_OPTION', `${name} takes a whole number, not "${value}"`);
    }
    return parsed;
  };
}

/** A flag that may be given more than once: each value is added to the list. */
export const repeatable = (value: string, previous: string[]): string[] => [...previous, value];
