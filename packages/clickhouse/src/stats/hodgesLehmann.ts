import { normalQuantile } from './inverseCdf.js';
import { DEFAULT_LEVEL } from './intervals.js';
import type { Interval } from './intervals.js';
import { EXACT_MAX_SIZE, exactUDistribution } from './mannWhitney.js';

/**
 * The Hodges–Lehmann estimate of the shift between two samples, with the confidence interval
 * obtained by inverting the Mann–Whitney test: the location difference that test is about.
 *
 * @module
 */

/** Result of {@link hodgesLehmann}. */
export interface ShiftEstimate {
  /** Median of the m·n differences y − x: how much larger y's values are, typically. */
  estimate: number;
  /** Interval of shifts d that the Mann–Whitney test of (x, y − d) does not reject; `null` if too few values. */
  ci: Interval | null;
  /** `exact`: critical value from the permutation distribution of U (no ties, both samples ≤ 50); else normal. */
  method: 'exact' | 'normal';
}

/** What one counting pass at d finds. */
interface Count {
  /** Pairs with y[j] − x[i] ≤ d. */
  count: number;
  /** The largest difference ≤ d (−∞ if none). */
  floor: number;
  /** The smallest difference > d (+∞ if none). */
  ceil: number;
}

/**
 * Pairs (i, j) with y[j] − x[i] ≤ d, in O(m + n): for each j those i form a suffix of the sorted x
 * that only shrinks as j grows. The suffix's first element gives the largest difference ≤ d for
 * that j, the element before it the smallest one above d.
 */
function countAtMost(x: Float64Array, y: Float64Array, d: number): Count {
  const m = x.length;
  let count = 0;
  let floor = -Infinity;
  let ceil = Infinity;
  let i = 0;
  for (let j = 0; j < y.length; j++) {
    const yj = y[j]!;
    while (i < m && yj - x[i]! > d) i++;
    count += m - i;
    if (i < m) floor = Math.max(floor, yj - x[i]!);
    if (i > 0) ceil = Math.min(ceil, yj - x[i - 1]!);
  }
  return { count, floor, ceil };
}

/** The `count` differences y[j] − x[i] in (lo, hi]. */
function differencesBetween(
  x: Float64Array,
  y: Float64Array,
  lo: number,
  hi: number,
  count: number,
): Float64Array {
  const m = x.length;
  const out = new Float64Array(count);
  let k = 0;
  let first = 0; // first i with y[j] − x[i] ≤ hi
  let end = 0; // first i with y[j] − x[i] ≤ lo
  for (let j = 0; j < y.length; j++) {
    while (first < m && y[j]! - x[first]! > hi) first++;
    if (end < first) end = first;
    while (end < m && y[j]! - x[end]! > lo) end++;
    for (let i = first; i < end; i++) out[k++] = y[j]! - x[i]!;
  }
  return out;
}

/**
 * The k-th smallest (1-based) of the m·n differences y[j] − x[i] of two sorted samples without
 * forming them. The range (lo, hi] holding it is narrowed with one O(m + n) counting pass per step,
 * at a point interpolated from the counts (the differences are dense near the middle, so a few steps
 * do), or halfway when a step gained less than half. Each pass also finds the nearest actual
 * differences, so hi is always a difference and ties (many equal differences) end the search at
 * once. The few differences left in the final range are listed and sorted.
 */
function kthDifference(x: Float64Array, y: Float64Array, k: number): number {
  const first = y[0]! - x[x.length - 1]!;
  const start = countAtMost(x, y, first);
  if (start.count >= k) return first;
  // Invariant: below = #(≤ lo) < k ≤ atHi = #(≤ hi); next = the smallest difference > lo; hi is a difference.
  let lo = first;
  let below = start.count;
  let next = start.ceil;
  let hi = y[y.length - 1]! - x[0]!;
  let atHi = x.length * y.length;
  // Once a range holds no more differences than one counting pass costs, list and sort them.
  const enumerateAtMost = Math.max(1024, x.length + y.length);
  let interpolate = true;
  for (;;) {
    if (next === hi) return hi; // every difference in (lo, hi] equals hi
    const inside = atHi - below;
    if (inside <= enumerateAtMost) {
      return differencesBetween(x, y, lo, hi, inside).sort()[k - below - 1]!;
    }
    const width = hi - next;
    let mid = next + width / 2;
    if (interpolate) {
      const at = next + (width * (k - 0.5 - below)) / inside;
      mid = Math.min(hi - width / 64, Math.max(next + width / 64, at));
    }
    if (!(mid >= next && mid < hi)) mid = next;
    const c = countAtMost(x, y, mid);
    if (c.count >= k) {
      hi = c.floor;
      atHi = c.count;
    } else {
      lo = mid;
      below = c.count;
      next = c.ceil;
    }
    interpolate = atHi - below <= inside / 2;
  }
}

/** Σ (t³ − t) over groups of equal values in the pooled sample. */
function tieTerm(x: Float64Array, y: Float64Array): number {
  const all = new Float64Array(x.length + y.length);
  all.set(x);
  all.set(y, x.length);
  all.sort();
  let term = 0;
  for (let i = 0; i < all.length;) {
    let j = i + 1;
    while (j < all.length && all[j] === all[i]) j++;
    const t = j - i;
    if (t > 1) term += t * t * t - t;
    i = j;
  }
  return term;
}

/**
 * Hodges–Lehmann shift of y against x: the median of the m·n differences yⱼ − xᵢ, with its
 * confidence interval [D₍k₎, D₍mn+1−k₎] over the sorted differences D. Exact case (no ties, both
 * samples ≤ 50, as in {@link mannWhitneyU}): k is the smallest u with P(U ≤ u) ≥ (1 − level)/2
 * under the permutation distribution of U (as R's `wilcox.test(conf.int = TRUE)`), so the
 * coverage is at least `level`. Otherwise k = ⌈mn/2 − ½ − z·σ⌉ with σ² the tie-corrected variance
 * of U, the normal approximation with continuity correction that the test uses. Computed in
 * O((m + n) log) time and O(m + n) memory: the differences are never all formed.
 *
 * @example
 * hodgesLehmann([120, 130, 150], [180, 200, 210]).estimate // 60 (differences 30 50 50 60 60 70 80 80 90)
 */
export function hodgesLehmann(
  x: readonly number[],
  y: readonly number[],
  level = DEFAULT_LEVEL,
): ShiftEstimate {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) throw new RangeError('hodgesLehmann: both samples need at least one value');
  if (!(level > 0 && level < 1))
    throw new RangeError(`hodgesLehmann: level must be in (0, 1) (got ${level})`);
  for (const v of x)
    if (!Number.isFinite(v)) throw new RangeError(`hodgesLehmann: values must be finite (got ${v})`);
  for (const v of y)
    if (!Number.isFinite(v)) throw new RangeError(`hodgesLehmann: values must be finite (got ${v})`);
  const xs = Float64Array.from(x).sort();
  const ys = Float64Array.from(y).sort();
  const mn = m * n;
  const estimate =
    mn % 2 === 1
      ? kthDifference(xs, ys, (mn + 1) / 2)
      : (kthDifference(xs, ys, mn / 2) + kthDifference(xs, ys, mn / 2 + 1)) / 2;

  const ties = tieTerm(xs, ys);
  const tail = (1 - level) / 2;
  let k: number;
  let method: ShiftEstimate['method'];
  if (ties === 0 && m <= EXACT_MAX_SIZE && n <= EXACT_MAX_SIZE) {
    method = 'exact';
    const cdf = exactUDistribution(m, n);
    k = 0;
    while (k < cdf.length && cdf[k]! < tail) k++;
  } else {
    method = 'normal';
    const N = m + n;
    const variance = (mn / 12) * (N + 1 - ties / (N * (N - 1)));
    k = variance > 0 ? Math.ceil(mn / 2 - 0.5 + normalQuantile(tail) * Math.sqrt(variance)) : 1;
  }
  if (k < 1) return { estimate, ci: null, method };
  return {
    estimate,
    ci: { lower: kthDifference(xs, ys, k), upper: kthDifference(xs, ys, mn + 1 - k), level },
    method,
  };
}
