import { studentTTwoSided } from './distributions.js';

/** Count, mean and (sample, n−1) variance of one group. */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
}

/** Result of {@link welchTTest}. */
export interface WelchResult {
  /** t of (b.mean − a.mean). */
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  p: number;
  /** b.mean − a.mean. */
  meanDifference: number;
}

/**
 * Welch's unequal-variance t-test from summary moments, two-sided:
 * t = (μb − μa)/√(va/na + vb/nb), df = (va/na + vb/nb)² / ((va/na)²/(na−1) + (vb/nb)²/(nb−1)).
 * With both variances zero the p-value is 1 for equal means and 0 otherwise.
 *
 * @example
 * welchTTest({ n: 40, mean: 1.2, variance: 0.3 }, { n: 35, mean: 1.6, variance: 0.5 }).p
 */
export function welchTTest(a: Moments, b: Moments): WelchResult {
  for (const [name, g] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (!(g.n >= 2)) throw new RangeError(`welchTTest: group ${name} needs n ≥ 2 (got ${g.n})`);
    if (!Number.isFinite(g.mean) || !(g.variance >= 0)) {
      throw new RangeError(`welchTTest: group ${name} needs a finite mean and a variance ≥ 0`);
    }
  }
  const meanDifference = b.mean - a.mean;
  const sa = a.variance / a.n;
  const sb = b.variance / b.n;
  const se2 = sa + sb;
  if (se2 === 0) {
    const p = meanDifference === 0 ? 1 : 0;
    const t = meanDifference === 0 ? 0 : Math.sign(meanDifference) * Infinity;
    return { t, df: a.n + b.n - 2, p, meanDifference };
  }
  const t = meanDifference / Math.sqrt(se2);
  const df = (se2 * se2) / ((sa * sa) / (a.n - 1) + (sb * sb) / (b.n - 1));
  return { t, df, p: studentTTwoSided(t, df), meanDifference };
}
