import { DEFAULT_LEVEL, meanInterval, quantileInterval, wilsonInterval } from './intervals.js';
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
