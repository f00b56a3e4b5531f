import { chiSquareSurvival } from './distributions.js';
import { lnFactorial } from './special.js';

/**
 * Do two groups spread over the same categories in the same proportions? The chi-square test of
 * homogeneity on the 2 × k table of counts, with an exact test or pooled categories where its
 * large-sample approximation is not to be trusted.
 *
 * @module
 */

/** Result of {@link compareCategories}. */
export interface HomogeneityResult {
  /** Two-sided p-value (1 when there is nothing to test). */
  p: number;
  /**
   * `chi-square`: Pearson's test on the full table. `fisher-freeman-halton`: the exact test (the
   * 2 × k generalisation of Fisher's), on the full table or, after pooling, on a 2 × 2 one.
   * `chi-square-merged`: Pearson's test after pooling the rarest categories. `none`: fewer than
   * two categories were seen.
   */
  method: 'chi-square' | 'chi-square-merged' | 'fisher-freeman-halton' | 'none';
  /** Pearson's X² of the table tested (after pooling); `null` for `none`. */
  statistic: number | null;
  /** Degrees of freedom of that table, columns − 1; `null` for `none`. */
  df: number | null;
  /** Labels pooled into one category before testing (rarest first); empty when nothing was pooled. */
  merged: string[];
  /** Cramér's V of the full table, √(X²/N) for two groups: 0 same proportions … 1 no category shared. */
  cramersV: number | null;
}

/** The exact test is used when a table with these margins has at most this many possible tables. */
export const EXACT_MAX_TABLES = 100_000;

type Column = [a: number, b: number];

function pearson(cols: readonly Column[]): { statistic: number; cochran: boolean } {
  let ra = 0;
  let rb = 0;
  for (const [a, b] of cols) {
    ra += a;
    rb += b;
  }
  const total = ra + rb;
  let statistic = 0;
  let small = 0;
  let belowOne = false;
  for (const [a, b] of cols) {
    const c = a + b;
    for (const [observed, row] of [
      [a, ra],
      [b, rb],
    ] as const) {
      const expected = (row * c) / total;
      statistic += ((observed - expected) * (observed - expected)) / expected;
      if (expected < 5) small++;
      if (expected < 1) belowOne = true;
    }
  }
  // Cochran's rule for r × c tables: no expected count below 1 and at most 20% below 5.
  return { statistic, cochran: !belowOne && small <= 0.2 * 2 * cols.length };
}

/** Number of 2 × k tables with these column totals and first-row total, capped at limit + 1. */
function countTables(totals: readonly number[], ra: number, limit: number): number {
  let ways = new Float64Array(ra + 1);
  ways[0] = 1;
  for (const c of totals) {
    const next = new Float64Array(ra + 1);
    let window = 0; // Σ ways[s − x] for x = 0 … min(c, s)
    for (let s = 0; s <= ra; s++) {
      window += ways[s]!;
      if (s - c - 1 >= 0) window -= ways[s - c - 1]!;
      next[s] = Math.min(window, limit + 1);
    }
    ways = next;
  }
  return ways[ra]!;
}

/**
 * Fisher–Freeman–Halton exact p for a 2 × k table: the total hypergeometric probability of every
 * table with the same margins that is no more likely than the observed one (relative tolerance
 * 1e-7, as {@link fisherExactTest}).
 */
function exactP(cols: readonly Column[]): number {
  const totals = cols.map(([a, b]) => a + b);
  const ra = cols.reduce((s, [a]) => s + a, 0);
  const total = totals.reduce((s, c) => s + c, 0);
  const k = cols.length;
  const lnChoose = totals.map((c) => {
    const row = new Float64Array(c + 1);
    for (let x = 0; x <= c; x++) row[x] = lnFactorial(c) - lnFactorial(x) - lnFactorial(c - x);
    return row;
  });
  const capAfter = new Array<number>(k).fill(0);
  for (let j = k - 2; j >= 0; j--) capAfter[j] = capAfter[j + 1]! + totals[j + 1]!;
  const lnDenominator = lnFactorial(total) - lnFactorial(ra) - lnFactorial(total - ra);
  let lnObserved = -lnDenominator;
  cols.forEach(([a], j) => (lnObserved += lnChoose[j]![a]!));
  const threshold = lnObserved + 1e-7;
  let p = 0;
  const visit = (j: number, remaining: number, ln: number): void => {
    if (j === k - 1) {
      const l = ln + lnChoose[j]![remaining]! - lnDenominator;
      if (l <= threshold) p += Math.exp(l);
      return;
    }
    const from = Math.max(0, remaining - capAfter[j]!);
    const to = Math.min(totals[j]!, remaining);
    for (let x = from; x <= to; x++) visit(j + 1, remaining - x, ln + lnChoose[j]![x]!);
  };
  visit(0, ra, 0);
  return Math.min(1, p);
}

/**
 * Compares how two groups spread over categories (label → count each). Labels seen in neither
 * group are ignored. The test, by the rule of thumb for the chi-square approximation (Cochran: no
 * expected count below 1 and at most 20% of them below 5):
 * 1. the rule holds: Pearson's chi-square test, k − 1 degrees of freedom;
 * 2. it does not, and the table has at most {@link EXACT_MAX_TABLES} possible fillings: the exact
 *    Fisher–Freeman–Halton test;
 * 3. otherwise the rarest categories are pooled into one, fewest values first, until the rule holds
 *    (then Pearson's test on the pooled table) or two categories are left (then the exact test on
 *    that 2 × 2 table, i.e. Fisher's).
 *
 * @example
 * compareCategories(new Map([['ok', 40], ['bad', 10]]), new Map([['ok', 25], ['bad', 25]])).p
 */
export function compareCategories(
  a: ReadonlyMap<string, number>,
  b: ReadonlyMap<string, number>,
): HomogeneityResult {
  const labels = [...new Set([...a.keys(), ...b.keys()])].sort();
  const columns: Array<{ labels: string[]; col: Column }> = [];
  for (const label of labels) {
    const x = a.get(label) ?? 0;
    const y = b.get(label) ?? 0;
    for (const v of [x, y]) {
      if (!Number.isInteger(v) || v < 0) {
        throw new RangeError(`compareCategories: count of ${JSON.stringify(label)} must be an integer ≥ 0`);
      }
    }
    if (x + y > 0) columns.push({ labels: [label], col: [x, y] });
  }
  const ra = columns.reduce((s, c) => s + c.col[0], 0);
  const rb = columns.reduce((s, c) => s + c.col[1], 0);
  const none: HomogeneityResult = {
    p: 1,
    method: 'none',
    statistic: null,
    df: null,
    merged: [],
    cramersV: null,
  };
  if (columns.length < 2 || ra === 0 || rb === 0) return none;

  const full = pearson(columns.map((c) => c.col));
  const cramersV = Math.sqrt(full.statistic / (ra + rb));
  const df = columns.length - 1;
  if (full.cochran) {
    return {
      p: chiSquareSurvival(full.statistic, df),
      method: 'chi-square',
      statistic: full.statistic,
      df,
      merged: [],
      cramersV,
    };
  }
  if (
    countTables(
      columns.map((c) => c.col[0] + c.col[1]),
      ra,
      EXACT_MAX_TABLES,
    ) <= EXACT_MAX_TABLES
  ) {
    const cols = columns.map((c) => c.col);
    return {
      p: exactP(cols),
      method: 'fisher-freeman-halton',
      statistic: full.statistic,
      df,
      merged: [],
      cramersV,
    };
  }
  // Pool the rarest categories (fewest values; equal totals by label) one at a time.
  const byTotal = [...columns].sort(
    (x, y) => x.col[0] + x.col[1] - (y.col[0] + y.col[1]) || (x.labels[0]! < y.labels[0]! ? -1 : 1),
  );
  for (let pooled = 2; pooled <= byTotal.length - 1; pooled++) {
    const other: Column = [0, 0];
    const merged: string[] = [];
    for (const c of byTotal.slice(0, pooled)) {
      other[0] += c.col[0];
      other[1] += c.col[1];
      merged.push(...c.labels);
    }
    const cols: Column[] = [other, ...byTotal.slice(pooled).map((c) => c.col)];
    const test = pearson(cols);
    const dfPooled = cols.length - 1;
    if (test.cochran) {
      return {
        p: chiSquareSurvival(test.statistic, dfPooled),
        method: 'chi-square-merged',
        statistic: test.statistic,
        df: dfPooled,
        merged,
        cramersV,
      };
    }
    if (cols.length === 2) {
      return {
        p: exactP(cols),
        method: 'fisher-freeman-halton',
        statistic: test.statistic,
        df: 1,
        merged,
        cramersV,
      };
    }
  }
  // Two categories that fail the rule with more fillings than the cap: the 2 × 2 exact test costs
  // one term per filling (at most min(row, column total) + 1), cheap at any size.
  return {
    p: exactP(columns.map((c) => c.col)),
    method: 'fisher-freeman-halton',
    statistic: full.statistic,
    df,
    merged: [],
    cramersV,
  };
}
