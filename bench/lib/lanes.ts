/** Runs each(0 … total-1) with at most `concurrency` in flight, in index order; rejects on the first failure. */
export async function inLanes(total: number, concurrency: number, each: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) await each(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
}
