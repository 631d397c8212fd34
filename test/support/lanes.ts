/**
 * `work` on each item, `lanes` at a time, the results in the order of `items`: how the benchmark and the fault
 * battery prepare thousands of accounts without sending them all at once.
 */
export async function inLanes<T, R>(items: readonly T[], lanes: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let index = next++; index < items.length; index = next++) results[index] = await work(items[index], index);
    }),
  );
  return results;
}
