/**
 * Runs `work` over the items, at most `limit` at a time, and rejects with the first failure once the
 * work under way has settled (about ten lines by hand rather than a dependency such as p-limit).
 */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
