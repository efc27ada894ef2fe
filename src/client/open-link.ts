// Links from the bot (`!enlightenme`) open in the user's browser through the `open` package. Only
// http(s) URLs are ever opened (the reply schema checks that), and a machine without a browser or
// a desktop just gets the link printed: failing to open is not an error of the command. `open` is
// imported at the first link, not when the client starts.

export async function openLink(url: string): Promise<{ opened: boolean; problem?: string }> {
  if (!/^https?:\/\//i.test(url)) return { opened: false, problem: 'not an http(s) link' };
  try {
    const { default: open } = await import('open');
    const child = await open(url, { wait: false });
    // A spawn that failed has no pid and reports its error on the next tick; the opener's own
    // exit code (xdg-open without a desktop) comes much later and is not waited for.
    if (child.pid !== undefined) return { opened: true };
    return await new Promise((resolve) => child.once('error', (error) => resolve({ opened: false, problem: error.message })));
  } catch (error) {
    return { opened: false, problem: (error as Error).message };
  }
}
