import { erfc, regularizedBeta } from './special.js';

/**
 * Cumulative distribution functions of the standard normal and Student's t distributions, with
 * two-sided tail helpers. Accurate to better than 1e-7 (absolute) everywhere, and relative in the
 * tails, since both go through the complementary error function / the incomplete beta directly
 * rather than 1 − CDF.
 *
 * @module
 */

/** Φ(z), the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(|Z| ≥ |z|) for a standard normal Z. */
export function normalTwoSided(z: number): number {
  return Math.min(1, erfc(Math.abs(z) / Math.SQRT2));
}

/** P(T ≤ t) for Student's t with `df` > 0 degrees of freedom (non-integer df allowed). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTCdf: df must be > 0 (got ${df})`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  // P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, 1/2).
  const tail = 0.5 * regularizedBeta(df / (df + t * t), df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTTwoSided: df must be > 0 (got ${df})`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, regularizedBeta(df / (df + t * t), df / 2, 0.5));
}
