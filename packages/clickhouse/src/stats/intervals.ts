import { binomialCdf } from './distributions.js';
import { binomialQuantile, binomialUpperQuantile, normalQuantile, studentTQuantile } from './inverseCdf.js';
import type { Proportion } from './proportions.js';
import type { Moments } from './welch.js';

/**
 * Confidence intervals: Wilson for a rate, Newcombe's hybrid score interval for a difference of
 * two rates, Student t for a mean, Welch–Satterthwaite for a difference of means, and the
 * distribution-free order-statistic interval for a median or any quantile. Each is checked
 * against SciPy (or a transcription of the published formula where SciPy has none) in
 * test/statsReference.test.ts, and against published worked examples in test/intervals.test.ts.
 *
 * @module
 */

/** A two-sided confidence interval. */
export interface Interval {
  lower: number;
  upper: number;
  /** Nominal confidence level, e.g. 0.95. */
  level: number;
}

/** An order-statistic interval also says which order statistics it uses and its exact coverage. */
export interface QuantileInterval extends Interval {
  /** 1-based ranks of the order statistics used as bounds. */
  lowerRank: number;
  upperRank: number;
  /** Exact coverage P(lowerRank ≤ B < upperRank), B ~ Binomial(n, q); at least `level`. */
  coverage: number;
}

export const DEFAULT_LEVEL = 0.95;

function checkLevel(name: string, level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`${name}: level must be in (0, 1) (got ${level})`);
}

/** z with P(|Z| ≤ z) = level, from the (small) tail so it keeps its digits. */
function zFor(level: number): number {
  return -normalQuantile((1 - level) / 2);
}

function checkProportion(name: string, g: Proportion): void {
  if (!Number.isInteger(g.events) || !Number.isInteger(g.trials) || g.trials < 1) {
    throw new RangeError(`${name}: needs integer events and trials ≥ 1`);
  }
  if (g.events < 0 || g.events > g.trials) throw new RangeError(`${name}: events outside 0…trials`);
}

/**
 * Wilson score interval for a rate (no continuity correction): the rates p for which the score
 * test |p̂ − p| / √(p(1−p)/n) < z does not reject. Never leaves [0, 1], and keeps close to its
 * nominal coverage even at small n or a rate near 0 or 1, where the Wald interval p̂ ± z·√(p̂(1−p̂)/n)
 * does not (Newcombe 1998, "Two-sided confidence intervals for the single proportion").
 *
 * @example
 * wilsonInterval({ events: 81, trials: 263 }) // { lower: 0.2553…, upper: 0.3662…, level: 0.95 }
 */
export function wilsonInterval(g: Proportion, level = DEFAULT_LEVEL): Interval {
  checkProportion('wilsonInterval', g);
  checkLevel('wilsonInterval', level);
  const n = g.trials;
  const p = g.events / n;
  const z = zFor(level);
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // The exact bounds at 0 and n events are 0 and 1; the formula can miss them by a rounding error.
  return {
    lower: g.events === 0 ? 0 : Math.max(0, centre - half),
    upper: g.events === n ? 1 : Math.min(1, centre + half),
    level,
  };
}

/**
 * Newcombe's hybrid score interval for b's rate − a's rate (method 10 of Newcombe 1998,
 * "Interval estimation for the difference between independent proportions"): with the Wilson
 * intervals [l₁, u₁] of a and [l₂, u₂] of b and d = p₂ − p₁,
 * [d − √((p₂ − l₂)² + (u₁ − p₁)²), d + √((u₂ − p₂)² + (p₁ − l₁)²)]. Inherits Wilson's good coverage
 * at small counts and rates near 0 or 1, and stays inside [−1, 1].
 *
 * @example
 * newcombeInterval({ events: 48, trials: 80 }, { events: 56, trials: 70 }) // [0.0524…, 0.3339…]
 */
export function newcombeInterval(a: Proportion, b: Proportion, level = DEFAULT_LEVEL): Interval {
  const wa = wilsonInterval(a, level);
  const wb = wilsonInterval(b, level);
  const pa = a.events / a.trials;
  const pb = b.events / b.trials;
  const d = pb - pa;
  return {
    lower: Math.max(-1, d - Math.hypot(pb - wb.lower, wa.upper - pa)),
    upper: Math.min(1, d + Math.hypot(wb.upper - pb, pa - wa.lower)),
    level,
  };
}

function checkMoments(name: string, m: Moments): void {
  if (!Number.isFinite(m.mean) || !(m.variance >= 0) || !Number.isFinite(m.variance)) {
    throw new RangeError(`${name}: needs a finite mean and a finite variance ≥ 0`);
  }
}

/**
 * Student t interval for a mean, mean ± t(df = n−1) · s/√n, from n, the mean and the sample
 * variance (n − 1 denominator). Exact for normal data and, by the central limit theorem, close for
 * other data of finite variance as n grows (skewed data need more n). `null` when n < 2.
 *
 * @example
 * meanInterval({ n: 40, mean: 3.2, variance: 1.1 })
 */
export function meanInterval(m: Moments, level = DEFAULT_LEVEL): Interval | null {
  checkLevel('meanInterval', level);
  if (!(m.n >= 2)) return null;
  checkMoments('meanInterval', m);
  const half = studentTQuantile(1 - (1 - level) / 2, m.n - 1) * Math.sqrt(m.variance / m.n);
  return { lower: m.mean - half, upper: m.mean + half, level };
}

/**
 * Welch interval for b.mean − a.mean: d ± t(ν) · √(va/na + vb/nb) with the Welch–Satterthwaite
 * ν = (va/na + vb/nb)² / ((va/na)²/(na−1) + (vb/nb)²/(nb−1)). It is the interval that
 * {@link welchTTest} inverts: 0 lies outside it exactly when that test's p < 1 − level.
 * `null` when a side has n < 2; a single point when both variances are 0.
 *
 * @example
 * welchInterval({ n: 40, mean: 1.2, variance: 0.3 }, { n: 35, mean: 1.6, variance: 0.5 })
 */
export function welchInterval(a: Moments, b: Moments, level = DEFAULT_LEVEL): Interval | null {
  checkLevel('welchInterval', level);
  if (!(a.n >= 2) || !(b.n >= 2)) return null;
  checkMoments('welchInterval', a);
  checkMoments('welchInterval', b);
  const d = b.mean - a.mean;
  const sa = a.variance / a.n;
  const sb = b.variance / b.n;
  const se2 = sa + sb;
  if (se2 === 0) return { lower: d, upper: d, level };
  const df = (se2 * se2) / ((sa * sa) / (a.n - 1) + (sb * sb) / (b.n - 1));
  const half = studentTQuantile(1 - (1 - level) / 2, df) * Math.sqrt(se2);
  return { lower: d - half, upper: d + half, level };
}

/**
 * Distribution-free interval for the q-quantile (q = ½: the median) from the order statistics of a
 * sorted sample: [x₍l₎, x₍u₎] with l the smallest k where P(B ≤ k) ≥ (1 − level)/2 and u − 1 the
 * smallest k where P(B > k) ≤ (1 − level)/2, B ~ Binomial(n, q) (the equal-tailed interval of
 * Conover's Practical Nonparametric Statistics, and SciPy's `quantile_test(...).confidence_interval`).
 * It assumes only independent draws from a continuous distribution; the binomial is evaluated
 * exactly (no normal approximation), so its coverage is at least `level` at every n, and reported.
 * `null` when the sample is too small for that level (for the median at 95%: n < 6).
 *
 * @example
 * quantileInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5) // ranks 2 and 9: [2, 9], coverage 0.9785
 */
export function quantileInterval(
  sorted: ArrayLike<number>,
  q: number,
  level = DEFAULT_LEVEL,
): QuantileInterval | null {
  return orderStatisticInterval(sorted.length, q, (rank) => sorted[rank - 1]!, level);
}

/**
 * {@link quantileInterval} for a sample that is not held as one sorted array (a weighted sample, a
 * histogram): `n` values, and `at(rank)` the order statistic of 1-based `rank`.
 *
 * @example
 * orderStatisticInterval(10, 0.5, (r) => r) // ranks 2 and 9: [2, 9]
 */
export function orderStatisticInterval(
  n: number,
  q: number,
  at: (rank: number) => number,
  level = DEFAULT_LEVEL,
): QuantileInterval | null {
  checkLevel('quantileInterval', level);
  if (!(q > 0 && q < 1)) throw new RangeError(`quantileInterval: q must be in (0, 1) (got ${q})`);
  if (n === 0) return null;
  const tail = (1 - level) / 2;
  const lowerRank = binomialQuantile(tail, n, q);
  const upperRank = binomialUpperQuantile(tail, n, q) + 1;
  if (lowerRank < 1 || upperRank > n) return null;
  return {
    lower: at(lowerRank),
    upper: at(upperRank),
    level,
    lowerRank,
    upperRank,
    coverage: binomialCdf(upperRank - 1, n, q) - binomialCdf(lowerRank - 1, n, q),
  };
}
