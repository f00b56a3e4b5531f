import type { ClickHouseClient } from '@clickhouse/client';
import { histWeightedValueSql } from '../schema/histogram.js';
import {
  describeCategories,
  describeNumeric,
  describeProportion,
  describeWeighted,
  weightedSample,
} from '../stats/describe.js';
import type {
  CategoricalDescription,
  NumericDescription,
  ProportionDescription,
  WeightedSample,
} from '../stats/describe.js';
import { meanInterval, orderStatisticInterval } from '../stats/intervals.js';
import type { Interval } from '../stats/intervals.js';
import { scoreKind } from '../stats/scoreKind.js';
import type { ScoreKind } from '../stats/scoreKind.js';
import { histLevels } from './mergedRows.js';
import type { HistObject } from './mergedRows.js';
import { checkWindow, dimFilter, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { histOrderStatistic, histPairs } from './histIntervals.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { SCORE_VALUE_SQL } from './scoreValue.js';
import { chTime, n, select } from './select.js';
import { LATE_SCORE_KEYS, lateScoreJoins, presenceFor } from './lateScores.js';
import type { ScorePresenceOption } from './lateScores.js';

/**
 * Score distributions per version for the generations of a window, computed from the raw score
 * rows (`promptline_scores`): every score of the window is read once, grouped by (version, name,
 * value, label, data type) in ClickHouse, so what reaches JS is one row per distinct value. From
 * those (value, count) pairs the figures are exact: n, mean with its t interval, median with its
 * order-statistic interval, min, max, p10/p25/p75/p90 (type 7), a pass rate with its Wilson
 * interval, counts per label.
 *
 * Bound: a score with more than {@link DEFAULT_MAX_DISTINCT_VALUES} distinct values in one version
 * (a continuous score over a long window) is described from its log-bucketed histogram instead:
 * n, mean, min and max stay exact, quantiles and the median interval are within 0.5% of the exact
 * order statistics and the mean's interval uses the histogram's variance (`exact: false`).
 * Labels: the {@link MAX_CATEGORIES} most frequent per version, the rest pooled as `(other)`.
 *
 * Scores that arrived before their span are resolved now by key lookups (response id, then span:
 * lateScores.ts), as everywhere else. A declared boolean score that carries only a label counts `true`/`1` as 1 and
 * `false`/`0` as 0. The model filter is ignored (scores are per generation).
 *
 * @module
 */

/** Distinct values per (version, score) read for an exact description. */
export const DEFAULT_MAX_DISTINCT_VALUES = 10_000;
/** Labels listed per (version, score); the others are pooled as {@link OTHER_CATEGORY}. */
export const MAX_CATEGORIES = 20;
export const OTHER_CATEGORY = '(other)';

/** Score figures of one score name for one version. */
export interface ScoreSummary {
  name: string;
  /** `numeric`, `boolean` (0/1 values, or declared boolean) or `categorical` (labels). */
  kind: ScoreKind;
  /** Number of scores (numeric and labelled). */
  count: number;
  /** Scores with a numeric value (a declared boolean's `true`/`false` label counts as 1/0). */
  valueCount: number;
  /** Data types seen (`promptline.score.data_type`, or inferred at insert). */
  dataTypes: string[];
  /** Mean of the numeric values (for a boolean score: the pass rate); `null` when none. */
  mean: number | null;
  /** Median of the numeric values; `null` when none. */
  median: number | null;
  /** Count per label, all of them (boolean scores from the SDK count `true` / `false`). */
  labels: Record<string, number>;
  /** Numeric scores: n, mean ± t interval, median ± order statistics, min, max, p10…p90. */
  numeric: NumericDescription | null;
  /** Boolean scores: passes (value 1) of the scores with a value, and the Wilson interval. */
  passRate: ProportionDescription | null;
  /** Categorical scores: counts and shares per label (most frequent first, then `(other)`), Wilson intervals. */
  categories: CategoricalDescription | null;
  /** `false` when quantiles came from the histogram (more distinct values than the bound). */
  exact: boolean;
  /** 95% intervals by figure (`mean`, `median`), in the shape of the metrics' `intervals`. */
  intervals: Record<string, Interval>;
}

/** Options of {@link scoresByVersion}. */
export interface ScoresByVersionQuery extends WindowQuery {
  /** Distinct values per (version, score) described exactly; above it, from the histogram. Default 10 000. */
  maxDistinctValues?: number;
  /** Only these versions. Default: all. */
  versions?: number[];
}

interface Row {
  prompt_version: number | string;
  score_name: string;
  scores: number | string;
  value_count: number | string;
  value_sum: number;
  value_min: number | null;
  value_max: number | null;
  distinct_values: number | string;
  pairs: Array<[number, number | string]>;
  labels: [string[], Array<number | string>];
  data_types: string[];
  value_h: HistObject;
}

/**
 * Score distributions per version in a window, newest version first (see the module comment).
 *
 * @example
 * const byVersion = await scoresByVersion(client, { promptName: 'support-reply', from, to });
 * const rating = byVersion.get(2)?.find((s) => s.name === 'user-rating');
 * rating?.numeric?.meanCi; // { lower, upper, level: 0.95 }
 */
export async function scoresByVersion(
  client: ClickHouseClient,
  q: ScoresByVersionQuery,
  opts: ScorePresenceOption = {},
): Promise<Map<number, ScoreSummary[]>> {
  checkWindow(q);
  const cap = q.maxDistinctValues ?? DEFAULT_MAX_DISTINCT_VALUES;
  if (!Number.isInteger(cap) || cap < 1 || cap > 1_000_000)
    throw new QueryOptionsError(`scores: maxDistinctValues must be an integer in 1…1000000 (got ${cap})`);
  const db = queryDatabase(q);
  const params: Record<string, unknown> = {
    wf: chTime(q.from.getTime()),
    wt: chTime(q.to.getTime()),
    cap: cap + 1,
  };
  const filter = dimFilter({ ...q, model: undefined }, params);
  let versions = '';
  let unresolvedVersions = '';
  if (q.versions !== undefined) {
    params.versions = q.versions;
    versions = ' AND prompt_version IN {versions:Array(UInt32)}';
    unresolvedVersions = ' AND s.prompt_version IN {versions:Array(UInt32)}';
  }
  const envFilter = q.environment !== undefined ? ' AND s.environment = {environment:String}' : '';
  const labelFilter = q.label !== undefined ? ' AND s.prompt_label = {label:String}' : '';
  const { late, resolved } = await presenceFor(client, db, q, opts);
  if (!late && !resolved) return new Map();
  // Resolved scores by the time of their generation; scores stored before their span (never older
  // than it, so score time >= from bounds that scan) resolved by point lookups in the span index.
  const lateScores = !late
    ? ''
    : `
    UNION ALL
    (SELECT s.prompt_version AS prompt_version, u.score_name AS score_name, u.v AS v, u.label AS label,
      u.data_type AS data_type
    FROM (
      SELECT score_name, ${SCORE_VALUE_SQL} AS v, label, toString(data_type) AS data_type, ${LATE_SCORE_KEYS}
      FROM ${db}.promptline_scores
      WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
        AND timestamp >= {wf:DateTime64(3, 'UTC')}
    ) AS u
    ${lateScoreJoins(db)}
    WHERE s.prompt_name = {prompt:String}${unresolvedVersions}
      AND s.timestamp >= {wf:DateTime64(3, 'UTC')} AND s.timestamp < {wt:DateTime64(3, 'UTC')}${envFilter}${labelFilter})`;
  const sql = `SELECT prompt_version, score_name, sum(c) AS scores,
  sumIf(c, v IS NOT NULL) AS value_count,
  sumIf(assumeNotNull(v) * c, v IS NOT NULL) AS value_sum,
  minIf(assumeNotNull(v), v IS NOT NULL) AS value_min,
  maxIf(assumeNotNull(v), v IS NOT NULL) AS value_max,
  uniqExactIf(assumeNotNull(v), v IS NOT NULL) AS distinct_values,
  groupArrayIf({cap:UInt32})((assumeNotNull(v), c), v IS NOT NULL) AS pairs,
  sumMapIf([label], [c], label != '') AS labels,
  groupUniqArray(data_type) AS data_types,
  CAST(sumMap(${histWeightedValueSql('v', 'c')}), 'Map(Int16, UInt64)') AS value_h
FROM (
  SELECT prompt_version, score_name, v, label, data_type, count() AS c
  FROM (
    (SELECT prompt_version, score_name, ${SCORE_VALUE_SQL} AS v, label, toString(data_type) AS data_type
    FROM ${db}.promptline_scores
    WHERE ${filter} AND prompt_version > 0${versions}
      AND generation_time >= {wf:DateTime64(3, 'UTC')} AND generation_time < {wt:DateTime64(3, 'UTC')})${lateScores}
  )
  GROUP BY prompt_version, score_name, v, label, data_type
)
GROUP BY prompt_version, score_name
ORDER BY prompt_version DESC, score_name`;
  const rows = await select<Row>(client, sql, params);
  const out = new Map<number, ScoreSummary[]>();
  for (const r of rows) {
    const version = n(r.prompt_version);
    const list = out.get(version) ?? [];
    list.push(summarizeScore(r, cap));
    out.set(version, list);
  }
  return out;
}

/** The figures of one (version, score) row. */
function summarizeScore(r: Row, cap: number): ScoreSummary {
  const count = n(r.scores);
  const valueCount = n(r.value_count);
  const labels: Record<string, number> = {};
  r.labels[0].forEach((k, i) => (labels[k] = n(r.labels[1][i])));
  const labelled = Object.values(labels).reduce((a, c) => a + c, 0);
  const exact = n(r.distinct_values) <= cap;
  const sample: WeightedSample | null = exact
    ? weightedSample(r.pairs.map(([v, c]) => [Number(v), n(c)] as [number, number]))
    : null;
  const kind = scoreKind({
    declared: r.data_types,
    // Only whether every value is 0 or 1 matters: the distinct values, or the extremes.
    values: sample !== null ? sample.values : [r.value_min ?? 0, r.value_max ?? 0, 0.5],
    labelled,
  });
  const summary: ScoreSummary = {
    name: r.score_name,
    kind,
    count,
    valueCount,
    dataTypes: [...r.data_types].sort(),
    mean: valueCount === 0 ? null : r.value_sum / valueCount,
    median: null,
    labels,
    numeric: null,
    passRate: null,
    categories: null,
    exact,
    intervals: {},
  };
  const numeric =
    valueCount === 0 ? null : sample !== null ? describeWeighted(sample) : describeHistogram(r, valueCount);
  summary.median = numeric?.median ?? null;
  if (numeric !== null) summary.mean = numeric.mean;
  switch (kind) {
    case 'numeric':
      summary.numeric = numeric ?? describeNumeric([]);
      if (numeric?.meanCi) summary.intervals.mean = numeric.meanCi;
      if (numeric?.medianCi) summary.intervals.median = numeric.medianCi;
      break;
    case 'boolean': {
      const passes = sample === null ? 0 : weightedCount(sample, 1);
      summary.passRate = describeProportion(passes, valueCount);
      if (summary.passRate.ci !== null) summary.intervals.mean = summary.passRate.ci;
      break;
    }
    case 'categorical':
      summary.categories = describeCategories(topCategories(labels));
      break;
  }
  return summary;
}

/** How many values of a weighted sample equal `value`. */
function weightedCount(s: WeightedSample, value: number): number {
  const i = s.values.indexOf(value);
  if (i < 0) return 0;
  return s.cum[i]! - (i === 0 ? 0 : s.cum[i - 1]!);
}

/** The {@link MAX_CATEGORIES} most frequent labels, the rest pooled as {@link OTHER_CATEGORY}. */
function topCategories(labels: Record<string, number>): Map<string, number> {
  const sorted = Object.entries(labels).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const out = new Map(sorted.slice(0, MAX_CATEGORIES));
  const rest = sorted.slice(MAX_CATEGORIES).reduce((a, [, c]) => a + c, 0);
  if (rest > 0) out.set(OTHER_CATEGORY, (out.get(OTHER_CATEGORY) ?? 0) + rest);
  return out;
}

/**
 * A numeric description from the histogram: exact n, mean, min and max; quantiles (the bucket of
 * the order statistic of rank ⌊q·(n−1)⌋, as everywhere else) and the median's interval within 0.5%;
 * the mean's t interval from the histogram's variance.
 */
function describeHistogram(r: Row, valueCount: number): NumericDescription {
  const pairs = histPairs(r.value_h);
  const [p10, p25, p50, p75, p90] = histLevels(r.value_h, [0.1, 0.25, 0.5, 0.75, 0.9]);
  const mean = r.value_sum / valueCount;
  let ss = 0;
  for (const [v, c] of pairs) ss += (v - mean) * (v - mean) * c;
  const variance = valueCount < 2 ? null : ss / (valueCount - 1);
  return {
    n: valueCount,
    mean,
    meanCi: variance === null ? null : meanInterval({ n: valueCount, mean, variance }),
    stddev: variance === null ? null : Math.sqrt(variance),
    median: p50 ?? null,
    medianCi: orderStatisticInterval(valueCount, 0.5, (rank) => histOrderStatistic(pairs, rank)),
    min: r.value_min,
    max: r.value_max,
    p10: p10 ?? null,
    p25: p25 ?? null,
    p75: p75 ?? null,
    p90: p90 ?? null,
  };
}
