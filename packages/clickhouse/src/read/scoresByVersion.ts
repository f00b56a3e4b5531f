import type { ClickHouseClient } from '@clickhouse/client';
import { histValueSql } from '../schema/histogram.js';
import { histLevels } from './mergedRows.js';
import type { HistObject } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { checkWindow, dimFilter, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { chTime, n, select } from './select.js';
import { LATE_SCORE_KEYS, lateScoreJoins } from './lateScores.js';

/** Score summary of one score name for one version. */
export interface ScoreSummary {
  name: string;
  /** Number of scores (numeric and categorical). */
  count: number;
  /** Mean of numeric/boolean values; `null` when the score only has labels. */
  mean: number | null;
  /** Median (histogram, within 0.5% of the exact order statistic) of numeric values; `null` when none. */
  median: number | null;
  /** Count per categorical label (boolean scores count `true`/`false`). */
  labels: Record<string, number>;
}

/**
 * Score summaries per version for generations in a window: scores resolved at insert (hourly
 * aggregates for whole hours, the scores table for the edges) plus scores that arrived before
 * their generation, resolved now by key lookups (response id, then span: see lateScores.ts). Model
 * filter is ignored.
 */
export async function scoresByVersion(
  client: ClickHouseClient,
  q: WindowQuery,
): Promise<Map<number, ScoreSummary[]>> {
  checkWindow(q);
  const db = queryDatabase(q);
  const params: Record<string, unknown> = {};
  const filter = dimFilter({ ...q, model: undefined }, params);
  const segs = planSegments(q.from.getTime(), q.to.getTime()).map((s) => ({
    ...s,
    source: s.source === 'raw' ? ('raw' as const) : ('1h' as const),
  }));
  const rawState = (
    p: string,
  ): string => `toUInt64(count()) AS scores, toUInt64(countIf(${p}value IS NOT NULL)) AS value_count,
  toFloat64(sumIf(assumeNotNull(${p}value), ${p}value IS NOT NULL)) AS value_sum,
  sumMap(${histValueSql(`${p}value`)}) AS value_h,
  sumMap(if(${p}label != '', [${p}label], CAST([], 'Array(String)')), if(${p}label != '', [toUInt64(1)], CAST([], 'Array(UInt64)'))) AS label_counts`;
  const parts = segs.map((s, i) => {
    params[`f${i}`] = chTime(s.from);
    params[`t${i}`] = chTime(s.to);
    if (s.source === 'raw') {
      return `SELECT prompt_version, score_name, ${rawState('')}
FROM ${db}.promptline_scores
WHERE ${filter} AND prompt_version > 0
  AND generation_time >= {f${i}:DateTime64(3, 'UTC')} AND generation_time < {t${i}:DateTime64(3, 'UTC')}
GROUP BY prompt_version, score_name`;
    }
    return `SELECT prompt_version, score_name, toUInt64(scores) AS scores, toUInt64(value_count) AS value_count,
  toFloat64(value_sum) AS value_sum, value_h, label_counts
FROM ${db}.promptline_score_stats_1h
WHERE ${filter}
  AND bucket >= toDateTime({f${i}:DateTime64(3, 'UTC')}) AND bucket < toDateTime({t${i}:DateTime64(3, 'UTC')})`;
  });
  // Scores stored unresolved: the score is never older than its span, so score time >= from bounds
  // the scan; each is resolved by a point lookup (direct join) in the span index.
  params.wf = chTime(q.from.getTime());
  params.wt = chTime(q.to.getTime());
  const envFilter = q.environment !== undefined ? ' AND s.environment = {environment:String}' : '';
  const labelFilter = q.label !== undefined ? ' AND s.prompt_label = {label:String}' : '';
  parts.push(`SELECT s.prompt_version AS prompt_version, u.score_name AS score_name, ${rawState('u.')}
FROM (
  SELECT score_name, value, label, ${LATE_SCORE_KEYS} FROM ${db}.promptline_scores
  WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
    AND timestamp >= {wf:DateTime64(3, 'UTC')}
) AS u
${lateScoreJoins(db)}
WHERE s.prompt_name = {prompt:String}
  AND s.timestamp >= {wf:DateTime64(3, 'UTC')} AND s.timestamp < {wt:DateTime64(3, 'UTC')}${envFilter}${labelFilter}
GROUP BY prompt_version, score_name
SETTINGS join_algorithm = 'direct'`);
  const sql = `SELECT prompt_version, score_name, sum(scores) AS scores, sum(value_count) AS value_count,
  sum(value_sum) AS value_sum, sumMap(CAST(value_h, 'Map(Int16, UInt64)')) AS value_h, sumMap(label_counts) AS labels
FROM (${parts.map((p) => `(${p})`).join('\nUNION ALL\n')})
GROUP BY prompt_version, score_name
ORDER BY prompt_version DESC, score_name`;
  const rows = await select<{
    prompt_version: number;
    score_name: string;
    scores: number;
    value_count: number;
    value_sum: number;
    value_h: HistObject;
    labels: [string[], Array<number | string>];
  }>(client, sql, params);
  const out = new Map<number, ScoreSummary[]>();
  for (const r of rows) {
    const v = n(r.prompt_version);
    const labels: Record<string, number> = {};
    r.labels[0].forEach((k, i) => (labels[k] = n(r.labels[1][i])));
    const valueCount = n(r.value_count);
    const list = out.get(v) ?? [];
    list.push({
      name: r.score_name,
      count: n(r.scores),
      mean: valueCount === 0 ? null : r.value_sum / valueCount,
      median: valueCount === 0 ? null : (histLevels(r.value_h, [0.5])[0] ?? null),
      labels,
    });
    out.set(v, list);
  }
  return out;
}
