import {
  DEFAULT_LEVEL,
  meanInterval,
  orderStatisticInterval,
  quantileInterval,
  wilsonInterval,
} from './intervals.js';
import type { Interval, QuantileInterval } from './intervals.js';

/**
 * Per-version distributions: what one version's values look like, with the intervals a reader
 * needs before acting on them. Numeric values get the mean with its t interval, the median with
 * its order-statistic interval, and min / max / p10 / p25 / p75 / p90; a rate gets its Wilson
 * interval; categories get their counts and shares, each share with its Wilson interval.
 *
 * @module
 */

/**
 * The q-quantile of a sorted sample by linear interpolation between order statistics
 * (Hyndman & Fan type 7: h = (n − 1)·q, the default of NumPy, R and spreadsheet PERCENTILE).
 *
 * @example
 * sampleQuantile([1, 2, 3, 4], 0.25) // 1.75
 */
export function sampleQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('sampleQuantile: the sample is empty');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampleQuantile: q must be in [0, 1] (got ${q})`);
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const below = sorted[lo]!;
  if (lo + 1 >= n) return below;
  const above = sorted[lo + 1]!;
  return below + (h - lo) * (above - below);
}

/** Result of {@link describeNumeric}; every statistic is `null` for an empty sample. */
export interface NumericDescription {
  n: number;
  mean: number | null;
  /** Student t interval of the mean; `null` for n < 2. */
  meanCi: Interval | null;
  /** Sample standard deviation (n − 1); `null` for n < 2. */
  stddev: number | null;
  median: number | null;
  /** Order-statistic interval of the median; `null` when n is too small for the level (n < 6 at 95%). */
  medianCi: QuantileInterval | null;
  min: number | null;
  max: number | null;
  p10: number | null;
  p25: number | null;
  p75: number | null;
  p90: number | null;
}

/**
 * Distribution of a numeric sample. Quantiles are type 7 ({@link sampleQuantile}).
 *
 * @example
 * const d = describeNumeric(ratings); // d.mean, d.meanCi, d.median, d.medianCi, d.p90, …
 */
export function describeNumeric(values: readonly number[], level = DEFAULT_LEVEL): NumericDescription {
  const n = values.length;
  if (n === 0) {
    return {
      n,
      mean: null,
      meanCi: null,
      stddev: null,
      median: null,
      medianCi: null,
      min: null,
      max: null,
      p10: null,
      p25: null,
      p75: null,
      p90: null,
    };
  }
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`describeNumeric: values must be finite (got ${v})`);
  }
  const sorted = Float64Array.from(values).sort();
  const mean = values.reduce((a, v) => a + v, 0) / n;
  let ss = 0;
  for (const v of values) ss += (v - mean) * (v - mean);
  const variance = n < 2 ? null : ss / (n - 1);
  return {
    n,
    mean,
    meanCi: variance === null ? null : meanInterval({ n, mean, variance }, level),
    stddev: variance === null ? null : Math.sqrt(variance),
    median: sampleQuantile(sorted, 0.5),
    medianCi: quantileInterval(sorted, 0.5, level),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    p10: sampleQuantile(sorted, 0.1),
    p25: sampleQuantile(sorted, 0.25),
    p75: sampleQuantile(sorted, 0.75),
    p90: sampleQuantile(sorted, 0.9),
  };
}

/**
 * A sample held as distinct values and their counts (a `GROUP BY value` of many rows): the order
 * statistics are read through the cumulative counts, so its size is the number of distinct values,
 * not of rows.
 */
export interface WeightedSample {
  /** Distinct values, ascending. */
  values: Float64Array;
  /** Cumulative counts: `cum[i]` values are ≤ `values[i]`. */
  cum: Float64Array;
  /** Total count. */
  n: number;
}

/**
 * A {@link WeightedSample} from (value, count) pairs in any order; repeated values are merged and
 * pairs with a count of 0 dropped.
 *
 * @example
 * weightedSample([[5, 3], [2, 1], [5, 1]]) // values [2, 5], cum [1, 5], n 5
 */
export function weightedSample(pairs: Iterable<readonly [number, number]>): WeightedSample {
  const merged = new Map<number, number>();
  for (const [v, c] of pairs) {
    if (!Number.isFinite(v)) throw new RangeError(`weightedSample: values must be finite (got ${v})`);
    if (!Number.isInteger(c) || c < 0)
      throw new RangeError(`weightedSample: counts must be integers ≥ 0 (got ${c})`);
    if (c > 0) merged.set(v, (merged.get(v) ?? 0) + c);
  }
  const values = Float64Array.from(merged.keys()).sort();
  const cum = new Float64Array(values.length);
  let n = 0;
  values.forEach((v, i) => {
    n += merged.get(v)!;
    cum[i] = n;
  });
  return { values, cum, n };
}

/** The order statistic of 0-based `index` (0 ≤ index < n) of a weighted sample. */
function weightedAt(s: WeightedSample, index: number): number {
  let lo = 0;
  let hi = s.values.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (s.cum[mid]! > index) hi = mid;
    else lo = mid + 1;
  }
  return s.values[lo]!;
}

/** {@link sampleQuantile} of a weighted sample (type 7). */
export function weightedQuantile(s: WeightedSample, q: number): number {
  if (s.n === 0) throw new RangeError('weightedQuantile: the sample is empty');
  if (!(q >= 0 && q <= 1)) throw new RangeError(`weightedQuantile: q must be in [0, 1] (got ${q})`);
  const h = (s.n - 1) * q;
  const lo = Math.floor(h);
  const below = weightedAt(s, lo);
  if (lo + 1 >= s.n) return below;
  return below + (h - lo) * (weightedAt(s, lo + 1) - below);
}

/**
 * {@link describeNumeric} of a weighted sample: the same figures as for the sample written out
 * value by value (mean and variance by two passes over the distinct values).
 *
 * @example
 * describeWeighted(weightedSample([[1, 3], [5, 9]])) // n 12, mean 4, median 5, …
 */
export function describeWeighted(s: WeightedSample, level = DEFAULT_LEVEL): NumericDescription {
  const n = s.n;
  if (n === 0) return describeNumeric([], level);
  let sum = 0;
  s.values.forEach((v, i) => (sum += v * (s.cum[i]! - (i === 0 ? 0 : s.cum[i - 1]!))));
  const mean = sum / n;
  let ss = 0;
  s.values.forEach((v, i) => (ss += (v - mean) * (v - mean) * (s.cum[i]! - (i === 0 ? 0 : s.cum[i - 1]!))));
  const variance = n < 2 ? null : ss / (n - 1);
  return {
    n,
    mean,
    meanCi: variance === null ? null : meanInterval({ n, mean, variance }, level),
    stddev: variance === null ? null : Math.sqrt(variance),
    median: weightedQuantile(s, 0.5),
    medianCi: orderStatisticInterval(n, 0.5, (rank) => weightedAt(s, rank - 1), level),
    min: s.values[0]!,
    max: s.values[s.values.length - 1]!,
    p10: weightedQuantile(s, 0.1),
    p25: weightedQuantile(s, 0.25),
    p75: weightedQuantile(s, 0.75),
    p90: weightedQuantile(s, 0.9),
  };
}

/** Result of {@link describeProportion}. */
export interface ProportionDescription {
  /** Trials. */
  n: number;
  events: number;
  /** events / n; `null` when n = 0. */
  rate: number | null;
  /** Wilson interval of the rate; `null` when n = 0. */
  ci: Interval | null;
}

/**
 * A rate (pass rate of a boolean score, error rate) with its Wilson interval.
 *
 * @example
 * describeProportion(42, 75) // { n: 75, events: 42, rate: 0.56, ci: { lower: 0.447…, upper: 0.667…, level: 0.95 } }
 */
export function describeProportion(
  events: number,
  trials: number,
  level = DEFAULT_LEVEL,
): ProportionDescription {
  if (trials === 0 && events === 0) return { n: 0, events: 0, rate: null, ci: null };
  return { n: trials, events, rate: events / trials, ci: wilsonInterval({ events, trials }, level) };
}

/** One category of {@link describeCategories}. */
export interface CategoryShare {
  label: string;
  count: number;
  /** count / n. */
  share: number;
  /** Wilson interval of the share. */
  ci: Interval;
}

/** Result of {@link describeCategories}. */
export interface CategoricalDescription {
  n: number;
  /** Most frequent first; equal counts by label. */
  categories: CategoryShare[];
}

/**
 * Counts per category label, with each share's Wilson interval (each interval on its own: they are
 * not simultaneous).
 *
 * @example
 * describeCategories(new Map([['helpful', 30], ['off-topic', 5]])).categories[0] // { label: 'helpful', count: 30, share: 0.857…, ci: … }
 */
export function describeCategories(
  counts: ReadonlyMap<string, number>,
  level = DEFAULT_LEVEL,
): CategoricalDescription {
  let n = 0;
  for (const [label, c] of counts) {
    if (!Number.isInteger(c) || c < 0) {
      throw new RangeError(`describeCategories: count of ${JSON.stringify(label)} must be an integer ≥ 0`);
    }
    n += c;
  }
  const categories = [...counts]
    .filter(([, c]) => c > 0)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([label, count]) => ({
      label,
      count,
      share: count / n,
      ci: wilsonInterval({ events: count, trials: n }, level),
    }));
  return { n, categories };
}
