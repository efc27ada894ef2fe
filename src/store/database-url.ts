// The database's address as it may be shown: apart from postgres-store.ts, so that a server
// without --database never loads node-postgres (start-up time, `bench startup`).

/** The address without its password: fit for error messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}
