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
  const tail = 0.5 * twoTail(t, df);
  return t > 0 ? 1 - tail : tail;
}

/** P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. */
export function studentTTwoSided(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTTwoSided: df must be > 0 (got ${df})`);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  return Math.min(1, twoTail(t, df));
}

/**
 * P(|T| ≥ |t|) = I_{df/(df+t²)}(df/2, ½). Near t = 0 that argument rounds to 1, so there the
 * complement 1 − I_{t²/(df+t²)}(½, df/2) is used, whose argument keeps every digit of t².
 */
function twoTail(t: number, df: number): number {
  const t2 = t * t;
  if (t2 < df) return 1 - regularizedBeta(t2 / (df + t2), 0.5, df / 2);
  return regularizedBeta(df / (df + t2), df / 2, 0.5);
}
