import { lnBeta } from './special.js';
import type { Proportion } from './proportions.js';
import type { Moments } from './welch.js';

/**
 * Effect sizes: how large a difference is, on a scale that does not depend on the sample size.
 * Cliff's delta (for rank comparisons) comes with {@link mannWhitneyU}.
 *
 * @module
 */

/** Result of {@link standardizedMeanDifference}. */
export interface StandardizedDifference {
  /** Cohen's d: (b.mean − a.mean) / pooled standard deviation. */
  cohensD: number;
  /** Hedges' g: d times the exact small-sample bias correction J(n_a + n_b − 2). */
  hedgesG: number;
}

/**
 * Cohen's d and Hedges' g of b against a, with the pooled standard deviation
 * s = √(((na−1)·va + (nb−1)·vb) / (na + nb − 2)) and Hedges' exact correction
 * J(ν) = Γ(ν/2) / (√(ν/2) · Γ((ν−1)/2)) (≈ 1 − 3/(4ν − 1)), which makes g unbiased for normal data.
 * Rough reading (Cohen): 0.2 small, 0.5 medium, 0.8 large. `null` when na + nb < 4 or both
 * variances are 0.
 *
 * @example
 * standardizedMeanDifference({ n: 50, mean: 3.68, variance: 2.3 }, { n: 50, mean: 4.68, variance: 0.96 })
 */
export function standardizedMeanDifference(a: Moments, b: Moments): StandardizedDifference | null {
  const df = a.n + b.n - 2;
  if (!(a.n >= 1 && b.n >= 1 && df >= 2)) return null;
  const pooled = ((a.n - 1) * a.variance + (b.n - 1) * b.variance) / df;
  if (!(pooled > 0) || !Number.isFinite(pooled)) return null;
  const cohensD = (b.mean - a.mean) / Math.sqrt(pooled);
  return { cohensD, hedgesG: hedgesJ(df) * cohensD };
}

/** J(ν) = Γ(ν/2) / (√(ν/2) · Γ((ν−1)/2)) = √π / (√(ν/2) · B((ν−1)/2, ½)), via the stable ln B. */
function hedgesJ(df: number): number {
  return Math.exp(0.5 * Math.log(Math.PI) - 0.5 * Math.log(df / 2) - lnBeta((df - 1) / 2, 0.5));
}

/** Result of {@link rateEffects}. */
export interface RateEffects {
  /** b's rate − a's rate (the risk difference). */
  difference: number;
  /** b's rate / a's rate (the risk ratio); `null` when a's rate is 0. */
  ratio: number | null;
}

/**
 * Risk difference and risk ratio of b against a.
 *
 * @example
 * rateEffects({ events: 42, trials: 75 }, { events: 67, trials: 75 }) // { difference: 0.333…, ratio: 1.595… }
 */
export function rateEffects(a: Proportion, b: Proportion): RateEffects {
  if (!(a.trials >= 1 && b.trials >= 1)) throw new RangeError('rateEffects: both groups need trials ≥ 1');
  const pa = a.events / a.trials;
  const pb = b.events / b.trials;
  return { difference: pb - pa, ratio: pa === 0 ? null : pb / pa };
}
