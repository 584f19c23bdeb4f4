/**
 * Runs `task(0) … task(count − 1)` with at most `concurrency` in flight, resolving to their results
 * in index order. The first failure stops new tasks from starting and rejects the whole run.
 */
export async function runPool<T>(count: number, concurrency: number, task: (index: number) => Promise<T>): Promise<T[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new RangeError(`Concurrency must be a positive integer; got ${concurrency}.`);
  const results = new Array<T>(count);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < count) {
      const index = next;
      next += 1;
      try {
        results[index] = await task(index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
