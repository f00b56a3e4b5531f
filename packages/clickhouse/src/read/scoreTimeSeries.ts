import type { ClickHouseClient } from '@clickhouse/client';
import { checkWindow, dimFilter, queryDatabase } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import type { WindowQuery } from './PromptQuery.js';
import { planSegments } from './planSegments.js';
import { chTime, isoTime, n, select } from './select.js';
import { LATE_SCORE_KEYS, lateScoreJoins, presenceFor } from './lateScores.js';
import type { ScorePresenceOption } from './lateScores.js';

/**
 * Score means per version over time, bucketed like {@link timeSeriesByVersion}: whole hours from
 * `promptline_score_stats_1h`, the window's edges from `promptline_scores`, and scores stored before
 * their span was known resolved through the span index (as `scoresByVersion` does). A score counts in
 * the bucket of the generation it scores.
 *
 * @module
 */

/** Options of {@link scoreTimeSeriesByVersion}. */
export interface ScoreTimeSeriesQuery extends WindowQuery {
  /** Bucket width in seconds (≥ 60). Whole hours read the hourly aggregates; others read raw scores. */
  intervalSeconds: number;
}

/** One score name's figures for one version in one bucket. */
export interface ScoreTimeSeriesPoint {
  /** Bucket start, ISO-8601 UTC. */
  bucket: string;
  version: number;
  name: string;
  /** Scores (numeric and categorical). */
  count: number;
  /** Numeric values among them. */
  valueCount: number;
  /** Mean of the numeric values; `null` when none. */
  mean: number | null;
}

/**
 * @example
 * const points = await scoreTimeSeriesByVersion(client, { promptName: 'support-reply', from, to, intervalSeconds: 3600 });
 */
export async function scoreTimeSeriesByVersion(
  client: ClickHouseClient,
  q: ScoreTimeSeriesQuery,
  opts: ScorePresenceOption = {},
): Promise<ScoreTimeSeriesPoint[]> {
  checkWindow(q);
  if (!Number.isInteger(q.intervalSeconds) || q.intervalSeconds < 60)
    throw new QueryOptionsError('scoreTimeSeriesByVersion: intervalSeconds must be an integer ≥ 60');
  const db = queryDatabase(q);
  const from = q.from.getTime();
  const to = q.to.getTime();
  const params: Record<string, unknown> = { interval: q.intervalSeconds };
  const filter = dimFilter({ ...q, model: undefined }, params);
  const bucketOf = (col: string): string =>
    `toStartOfInterval(toDateTime(${col}, 'UTC'), toIntervalSecond({interval:UInt32}))`;
  const segments =
    q.intervalSeconds % 3600 === 0
      ? planSegments(from, to).map((s) => ({ ...s, source: s.source === 'raw' ? 'raw' : '1h' }))
      : [{ source: 'raw', from, to }];
  // One read per source: the raw pieces' ranges OR-ed, the whole hours as one range (they are
  // contiguous). Each table a query reads costs a few ms on the engine even when it holds nothing.
  const range = (col: string, i: number, cast: (p: string) => string): string =>
    `(${col} >= ${cast(`{f${i}:DateTime64(3, 'UTC')}`)} AND ${col} < ${cast(`{t${i}:DateTime64(3, 'UTC')}`)})`;
  const raw: string[] = [];
  const hourly: string[] = [];
  const whole = segments.filter((s) => s.source !== 'raw');
  if (whole.length > 0) {
    params.f0 = chTime(whole[0]!.from);
    params.t0 = chTime(whole[whole.length - 1]!.to);
    hourly.push(range('bucket', 0, (p) => `toDateTime(${p})`));
  }
  segments
    .filter((s) => s.source === 'raw')
    .forEach((s, j) => {
      params[`f${j + 1}`] = chTime(s.from);
      params[`t${j + 1}`] = chTime(s.to);
      raw.push(range('generation_time', j + 1, (p) => p));
    });
  const parts: string[] = [];
  if (raw.length > 0)
    parts.push(`SELECT ${bucketOf('generation_time')} AS ts, prompt_version, score_name, toUInt64(count()) AS scores,
  toUInt64(countIf(value IS NOT NULL)) AS value_count, toFloat64(sumIf(assumeNotNull(value), value IS NOT NULL)) AS value_sum
FROM ${db}.promptline_scores
WHERE ${filter} AND prompt_version > 0 AND (${raw.join(' OR ')})
GROUP BY ts, prompt_version, score_name`);
  if (hourly.length > 0)
    parts.push(`SELECT ${bucketOf('bucket')} AS ts, prompt_version, score_name, toUInt64(sum(scores)) AS scores,
  toUInt64(sum(value_count)) AS value_count, toFloat64(sum(value_sum)) AS value_sum
FROM ${db}.promptline_score_stats_1h
WHERE ${filter} AND ${hourly.join(' OR ')}
GROUP BY ts, prompt_version, score_name`);
  params.wf = chTime(from);
  params.wt = chTime(to);
  const envFilter = q.environment !== undefined ? ' AND s.environment = {environment:String}' : '';
  const labelFilter = q.label !== undefined ? ' AND s.prompt_label = {label:String}' : '';
  const { late, resolved } = await presenceFor(client, db, q, opts);
  if (!late && !resolved) return [];
  if (late)
    parts.push(`SELECT ${bucketOf('s.timestamp')} AS ts, s.prompt_version AS prompt_version, u.score_name AS score_name,
  toUInt64(count()) AS scores, toUInt64(countIf(u.value IS NOT NULL)) AS value_count,
  toFloat64(sumIf(assumeNotNull(u.value), u.value IS NOT NULL)) AS value_sum
FROM (
  SELECT score_name, value, ${LATE_SCORE_KEYS} FROM ${db}.promptline_scores
  WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
    AND timestamp >= {wf:DateTime64(3, 'UTC')}
) AS u
${lateScoreJoins(db)}
WHERE s.prompt_name = {prompt:String}
  AND s.timestamp >= {wf:DateTime64(3, 'UTC')} AND s.timestamp < {wt:DateTime64(3, 'UTC')}${envFilter}${labelFilter}
GROUP BY ts, prompt_version, score_name
SETTINGS join_algorithm = 'direct'`);
  const rows = await select<{
    ts: string;
    prompt_version: number | string;
    score_name: string;
    scores: number | string;
    value_count: number | string;
    value_sum: number;
  }>(
    client,
    `SELECT ts, prompt_version, score_name, sum(scores) AS scores, sum(value_count) AS value_count,
  sum(value_sum) AS value_sum
FROM (${parts.map((p) => `(${p})`).join('\nUNION ALL\n')})
GROUP BY ts, prompt_version, score_name
ORDER BY ts, prompt_version, score_name`,
    params,
  );
  return rows.map((r) => {
    const valueCount = n(r.value_count);
    return {
      bucket: isoTime(r.ts),
      version: n(r.prompt_version),
      name: r.score_name,
      count: n(r.scores),
      valueCount,
      mean: valueCount === 0 ? null : r.value_sum / valueCount,
    };
  });
}
