import { normalTwoSided } from './distributions.js';

/** Result of {@link mannWhitneyU}. */
export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, plus half the ties. */
  u: number;
  /** Two-sided p-value. */
  p: number;
  /** `exact`: the permutation distribution (no ties, both samples ≤ {@link EXACT_MAX_SIZE}); else the normal approximation. */
  method: 'exact' | 'normal';
  /** z of the normal approximation (with tie and continuity correction); `null` for exact. */
  z: number | null;
  /**
   * Cliff's delta of y against x: P(y > x) − P(y < x), in [−1, 1]. Equal to the rank-biserial
   * correlation. Positive: the second sample tends to be larger.
   */
  cliffsDelta: number;
}

/** Largest sample size (each side) for which the exact distribution is used. */
export const EXACT_MAX_SIZE = 50;

interface Ranked {
  /** Rank sum of x (midranks for ties). */
  rankSumX: number;
  /** Σ (t³ − t) over tie groups. */
  tieTerm: number;
}

function rank(x: readonly number[], y: readonly number[]): Ranked {
  const all: Array<{ v: number; fromX: boolean }> = [];
  for (const v of x) all.push({ v, fromX: true });
  for (const v of y) all.push({ v, fromX: false });
  all.sort((a, b) => a.v - b.v);
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i + 1;
    while (j < all.length && all[j]!.v === all[i]!.v) j++;
    const t = j - i;
    const midrank = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) if (all[k]!.fromX) rankSumX += midrank;
    if (t > 1) tieTerm += t * t * t - t;
    i = j;
  }
  return { rankSumX, tieTerm };
}

/**
 * P(U ≤ u) for every u = 0 … m·n under the null (no ties), by the recurrence on the largest
 * observation: it comes from x with probability m/(m+n) and then beats all n values of y.
 */
export function exactUDistribution(m: number, n: number): Float64Array {
  // prev[j] / cur[j]: probability vector for sizes (i−1, j) / (i, j), u = 0 … i·j.
  let prev: Float64Array[] = [];
  for (let j = 0; j <= n; j++) prev.push(Float64Array.of(1)); // i = 0: U = 0 surely
  for (let i = 1; i <= m; i++) {
    const cur: Float64Array[] = [Float64Array.of(1)]; // j = 0
    for (let j = 1; j <= n; j++) {
      const out = new Float64Array(i * j + 1);
      const fromX = i / (i + j);
      const a = prev[j]!; // (i−1, j): shifted by j
      for (let u = 0; u < a.length; u++) out[u + j]! += fromX * a[u]!;
      const b = cur[j - 1]!; // (i, j−1)
      for (let u = 0; u < b.length; u++) out[u]! += (1 - fromX) * b[u]!;
      cur.push(out);
    }
    prev = cur;
  }
  const pmf = prev[n]!;
  const cdf = new Float64Array(pmf.length);
  let acc = 0;
  for (let u = 0; u < pmf.length; u++) cdf[u] = acc += pmf[u]!;
  return cdf;
}

/**
 * Mann–Whitney U test (Wilcoxon rank-sum), two-sided. Exact permutation p-value when there are no
 * ties and both samples have at most {@link EXACT_MAX_SIZE} values; otherwise the normal
 * approximation with the tie-corrected variance
 * σ² = m·n/12 · ((N+1) − Σ(t³−t)/(N(N−1))) and a continuity correction of ½.
 *
 * @example
 * const r = mannWhitneyU([120, 130, 150], [180, 200, 210]); // r.cliffsDelta === 1
 */
export function mannWhitneyU(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) throw new RangeError('mannWhitneyU: both samples need at least one value');
  for (const v of [...x, ...y]) {
    if (!Number.isFinite(v)) throw new RangeError(`mannWhitneyU: values must be finite (got ${v})`);
  }
  const { rankSumX, tieTerm } = rank(x, y);
  const u = rankSumX - (m * (m + 1)) / 2;
  const mn = m * n;
  const cliffsDelta = 1 - (2 * u) / mn; // (U_y − U_x) / mn with U_y = mn − U_x
  const N = m + n;
  if (tieTerm === 0 && m <= EXACT_MAX_SIZE && n <= EXACT_MAX_SIZE) {
    const cdf = exactUDistribution(m, n);
    const lower = cdf[u]!; // P(U ≤ u)
    const upper = 1 - (u >= 1 ? cdf[u - 1]! : 0); // P(U ≥ u)
    return { u, p: Math.min(1, 2 * Math.min(lower, upper)), method: 'exact', z: null, cliffsDelta };
  }
  const mean = mn / 2;
  const variance = (mn / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (!(variance > 0)) {
    // Every value is equal: no evidence either way.
    return { u, p: 1, method: 'normal', z: 0, cliffsDelta };
  }
  const diff = u - mean;
  const corrected = Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5);
  const z = corrected / Math.sqrt(variance);
  return { u, p: normalTwoSided(z), method: 'normal', z, cliffsDelta };
}
