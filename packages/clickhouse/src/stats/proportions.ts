import { normalTwoSided } from './distributions.js';
import { lnFactorial } from './special.js';

/** Events out of trials, for one group. */
export interface Proportion {
  events: number;
  trials: number;
}

/** Result of {@link compareProportions}. */
export interface ProportionResult {
  /** Two-sided p-value. */
  p: number;
  /** `fisher` when an expected cell count is below {@link FISHER_EXPECTED_BELOW}, else `z`. */
  method: 'fisher' | 'z';
  /** z of the pooled two-proportion test; `null` for Fisher. */
  z: number | null;
  /** b's rate − a's rate. */
  rateDifference: number;
}

/** Fisher's exact test is used when any expected cell count of the 2×2 table is below this. */
export const FISHER_EXPECTED_BELOW = 5;

function check(name: string, g: Proportion): void {
  if (!Number.isInteger(g.events) || !Number.isInteger(g.trials) || g.trials < 1) {
    throw new RangeError(`proportions: group ${name} needs integer events and trials ≥ 1`);
  }
  if (g.events < 0 || g.events > g.trials) {
    throw new RangeError(`proportions: group ${name} has events outside 0…trials`);
  }
}

/**
 * Two-proportion z-test with the pooled variance, two-sided. When no group has events (or all are
 * events) there is nothing to test: p = 1.
 */
export function twoProportionZTest(a: Proportion, b: Proportion): { z: number; p: number } {
  check('a', a);
  check('b', b);
  const pooled = (a.events + b.events) / (a.trials + b.trials);
  const variance = pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials);
  if (!(variance > 0)) return { z: 0, p: 1 };
  const z = (b.events / b.trials - a.events / a.trials) / Math.sqrt(variance);
  return { z, p: normalTwoSided(z) };
}

/**
 * Fisher's exact test on the 2×2 table [[a.events, a.trials − a.events], [b.events, …]], two-sided:
 * the sum of the hypergeometric probabilities of every table with the same margins that is no more
 * likely than the observed one (relative tolerance 1e-7).
 */
export function fisherExactTest(a: Proportion, b: Proportion): number {
  check('a', a);
  check('b', b);
  const r1 = a.trials;
  const r2 = b.trials;
  const c1 = a.events + b.events;
  const total = r1 + r2;
  const lnDenominator = lnFactorial(total) - lnFactorial(c1) - lnFactorial(total - c1);
  // P(first cell = k) = C(r1, k) C(r2, c1 − k) / C(total, c1).
  const lnP = (k: number): number =>
    lnFactorial(r1) -
    lnFactorial(k) -
    lnFactorial(r1 - k) +
    lnFactorial(r2) -
    lnFactorial(c1 - k) -
    lnFactorial(r2 - c1 + k) -
    lnDenominator;
  const observed = lnP(a.events);
  const lo = Math.max(0, c1 - r2);
  const hi = Math.min(r1, c1);
  let p = 0;
  for (let k = lo; k <= hi; k++) {
    const l = lnP(k);
    if (l <= observed + 1e-7) p += Math.exp(l);
  }
  return Math.min(1, p);
}

/**
 * Compares two rates: Fisher's exact test when an expected cell count is small, else the pooled
 * two-proportion z-test.
 *
 * @example
 * compareProportions({ events: 3, trials: 200 }, { events: 19, trials: 210 }).p
 */
export function compareProportions(a: Proportion, b: Proportion): ProportionResult {
  check('a', a);
  check('b', b);
  const rateDifference = b.events / b.trials - a.events / a.trials;
  const total = a.trials + b.trials;
  const events = a.events + b.events;
  const minExpected = (Math.min(a.trials, b.trials) * Math.min(events, total - events)) / total;
  if (minExpected < FISHER_EXPECTED_BELOW) {
    return { p: fisherExactTest(a, b), method: 'fisher', z: null, rateDifference };
  }
  const { z, p } = twoProportionZTest(a, b);
  return { p, method: 'z', z, rateDifference };
}
