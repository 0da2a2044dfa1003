export interface TimeSummary {
  count: number;
  median: number;
  /** Nearest-rank 90th percentile: with 5 samples, the largest. */
  p90: number;
  min: number;
  max: number;
}

/** Median (the mean of the middle two for an even count), nearest-rank p90, min and max of some durations. */
export function summarizeTimes(values: readonly number[]): TimeSummary {
  if (values.length === 0) throw new RangeError('no samples to summarize');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return {
    count: sorted.length,
    median,
    p90: sorted[Math.ceil(0.9 * sorted.length) - 1]!,
    min: sorted[0]!,
    max: sorted.at(-1)!,
  };
}
