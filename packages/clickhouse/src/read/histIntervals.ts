import { histRepresentative } from '../schema/histogram.js';
import { orderStatisticInterval } from '../stats/intervals.js';
import type { Interval } from '../stats/intervals.js';
import type { Hist, HistObject } from './mergedRows.js';

/**
 * Intervals from the log-bucketed histograms of the aggregates: the order-statistic interval of a
 * quantile (its ranks from the exact binomial, as for a raw sample; each bound is the bucket that
 * holds that order statistic, so within 0.5% of it) and the t interval of a mean whose variance is
 * read from the bucket values (each within 0.5% of the values it holds).
 *
 * @module
 */

/** (bucket value, count) pairs of a histogram, ascending by value. */
export function histPairs(h: Hist | HistObject): Array<[number, number]> {
  const entries: Array<[number, number]> =
    h instanceof Map
      ? [...h].map(([k, c]) => [histRepresentative(k), c])
      : Object.entries(h).map(([k, c]) => [histRepresentative(Number(k)), Number(c)]);
  return entries.filter(([, c]) => c > 0).sort((a, b) => a[0] - b[0]);
}

/** The bucket value of the order statistic of 1-based `rank` (pairs ascending). */
export function histOrderStatistic(pairs: ReadonlyArray<readonly [number, number]>, rank: number): number {
  let cum = 0;
  for (const [v, c] of pairs) {
    cum += c;
    if (cum >= rank) return v;
  }
  return pairs[pairs.length - 1]?.[0] ?? NaN;
}

/** Total count of a histogram's pairs. */
export function histCount(pairs: ReadonlyArray<readonly [number, number]>): number {
  return pairs.reduce((a, [, c]) => a + c, 0);
}

/**
 * The 95% order-statistic interval of the q-quantile from a histogram; `null` when it has too few
 * values for the level (at 95%: n < 6 for the median, n < 36 for the p90, n < 72 for the p95,
 * n < 368 for the p99).
 */
export function histQuantileInterval(
  pairs: ReadonlyArray<readonly [number, number]>,
  q: number,
): Interval | null {
  const i = orderStatisticInterval(histCount(pairs), q, (rank) => histOrderStatistic(pairs, rank));
  return i === null ? null : { lower: i.lower, upper: i.upper, level: i.level };
}
