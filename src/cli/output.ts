// How the CLI reports: one JSON object a line with --json, short sentences otherwise, and errors
// as "parlor: CODE: message" on stderr with a non-zero exit, so scripts can match the code.

import { asParlorError, ParlorError } from '../protocol/errors.ts';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value) + '\n');
}

/** Exit codes: 1 for an error with a code, 2 for a bad command line (as commander uses). */
export function exitWithError(error: unknown): never {
  const reason = error instanceof ParlorError ? error : asParlorError(error);
  const detail = reason.code === 'INTERNAL' && reason.cause instanceof Error ? `: ${reason.cause.message}` : '';
  process.stderr.write(`parlor: ${reason.code}: ${reason.message}${detail}\n`);
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
