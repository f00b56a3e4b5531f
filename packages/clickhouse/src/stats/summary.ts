/** Mean, median and sample standard deviation of a sample (helpers for the comparison summaries). */
export interface SampleSummary {
  n: number;
  mean: number | null;
  median: number | null;
  stddev: number | null;
}

/** Summary of a sample; `null` fields when the sample is too small for them. */
export function summarize(values: readonly number[]): SampleSummary {
  const n = values.length;
  if (n === 0) return { n, mean: null, median: null, stddev: null };
  const sorted = Float64Array.from(values).sort(); // numeric order, no comparator calls
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  return { n, mean, median, stddev: n < 2 ? null : Math.sqrt(ss / (n - 1)) };
}

/** (candidate − baseline) / |baseline|; `null` when the baseline is 0 or either is missing. */
export function relativeChange(baseline: number | null, candidate: number | null): number | null {
  if (baseline === null || candidate === null || baseline === 0) return null;
  return (candidate - baseline) / Math.abs(baseline);
}
