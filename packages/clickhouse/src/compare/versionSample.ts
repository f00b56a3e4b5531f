import type { ClickHouseClient } from '@clickhouse/client';
import type { ScoreDataType } from '@promptline/semconv';
import { queryDatabase } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { SCORE_VALUE_SQL } from '../read/scoreValue.js';
import { chTime, select } from '../read/select.js';
import { LATE_SCORE_KEYS, lateScoreJoins } from '../read/lateScores.js';
import type { ScoreSample } from './compareSides.js';

/**
 * Reads what the version comparison tests need for one side (one prompt version in one window):
 * exact counts and moments over every generation, and bounded, deterministic samples of the
 * per-generation values that the rank tests use. Every value is a `{name:Type}` parameter.
 *
 * Samples: `ORDER BY cityHash64(trace_id, span_id), span_id LIMIT {cap}` (per score name for
 * scores) — a pseudo-random but repeatable subset, so the same data always gives the same answer.
 *
 * @module
 */

/** One side of a comparison. */
export interface SideQuery {
  projectId: string;
  promptName: string;
  version: number;
  from: Date;
  to: Date;
  database: string;
  environment?: string;
  label?: string;
  /** Maximum values read per sampled metric. */
  sampleLimit: number;
}

/** Count, mean and sample variance (n − 1) computed in ClickHouse over every row. */
export interface ExactMoments {
  n: number;
  mean: number;
  variance: number;
}

/** What one side contributes to the tests. */
export interface SideData {
  /** The version's `prompt_version_name` (`''` when the side has no generations). */
  versionName: string;
  /** Generations in the window. */
  generations: number;
  errors: number;
  /** Over successful generations: input + output tokens, and cost in USD. */
  totalTokens: ExactMoments;
  costUsd: ExactMoments;
  /** Sampled latency (all generations) and TTFT (streamed generations), ms. */
  latencyMs: number[];
  ttftMs: number[];
  /** Population sizes behind the samples (to say whether the cap was hit). */
  ttftCount: number;
  /**
   * Sampled scores by name: their numeric values (a declared boolean's `true`/`false` label as
   * 1/0), their labels counted, the declared data type most of them carry, and the number of
   * scores of that name before sampling.
   */
  scores: Map<string, ScoreSample>;
}

const DATA_TYPES: readonly string[] = ['numeric', 'categorical', 'boolean'] satisfies ScoreDataType[];

function isScoreDataType(t: string | undefined): t is ScoreDataType {
  return t !== undefined && DATA_TYPES.includes(t);
}

/** The key with the highest count (ties: the first seen). */
function mostFrequent(counts: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let max = -1;
  for (const [k, c] of counts) {
    if (c > max) {
      best = k;
      max = c;
    }
  }
  return best;
}

function num(v: unknown): number {
  if (v === null || v === undefined) return NaN;
  return Number(v);
}

/** Filter on a generations-shaped table (column names of promptline_generations/promptline_scores). */
function sideFilter(q: SideQuery, params: Record<string, unknown>, alias = ''): string {
  params.project = q.projectId;
  params.prompt = q.promptName;
  params.version = q.version;
  params.from = chTime(q.from.getTime());
  params.to = chTime(q.to.getTime());
  params.cap = q.sampleLimit;
  let sql = `${alias}prompt_name = {prompt:String} AND ${alias}prompt_version = {version:UInt32}`;
  if (q.environment !== undefined) {
    params.environment = q.environment;
    sql += ` AND ${alias}environment = {environment:String}`;
  }
  if (q.label !== undefined) {
    params.label = q.label;
    sql += ` AND ${alias}prompt_label = {label:String}`;
  }
  return sql;
}

function moments(n: unknown, mean: unknown, variance: unknown): ExactMoments {
  const count = num(n);
  return {
    n: Number.isFinite(count) ? count : 0,
    mean: num(mean),
    variance: num(variance),
  };
}

/**
 * Reads one side: 4 queries (moments, latency sample, TTFT sample, score samples). Scores of every
 * kind are sampled together (up to `sampleLimit` per name): numeric values, labels and data types,
 * so boolean, categorical and numeric scores each reach the test that fits them.
 */
export async function readSide(client: ClickHouseClient, q: SideQuery): Promise<SideData> {
  if (!Number.isInteger(q.sampleLimit) || q.sampleLimit < 1) {
    throw new QueryOptionsError('compare: sampleLimit must be a positive integer');
  }
  const db = queryDatabase(q);
  const window = `timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}`;
  const gen = (): { params: Record<string, unknown>; where: string } => {
    const params: Record<string, unknown> = {};
    const where = `project_id = {project:String} AND ${sideFilter(q, params)} AND ${window}`;
    return { params, where };
  };

  const m = gen();
  const [stats] = await select<Record<string, unknown>>(
    client,
    `SELECT count() AS n, sum(is_error) AS errors, countIf(ttft_ms IS NOT NULL) AS ttft_n,
  max(toString(prompt_version_name)) AS version_name,
  countIf(is_error = 0) AS ok_n,
  avgIf(toFloat64(input_tokens + output_tokens), is_error = 0) AS tok_mean,
  varSampStableIf(toFloat64(input_tokens + output_tokens), is_error = 0) AS tok_var,
  avgIf(cost_usd, is_error = 0) AS cost_mean,
  varSampStableIf(cost_usd, is_error = 0) AS cost_var
FROM ${db}.promptline_generations
WHERE ${m.where}`,
    m.params,
  );

  const lat = gen();
  const latency = await select<{ v: number }>(
    client,
    `SELECT latency_ms AS v FROM ${db}.promptline_generations
WHERE ${lat.where}
ORDER BY cityHash64(trace_id, span_id), span_id
LIMIT {cap:UInt32}`,
    lat.params,
  );

  const tt = gen();
  const ttft = await select<{ v: number }>(
    client,
    `SELECT assumeNotNull(ttft_ms) AS v FROM ${db}.promptline_generations
WHERE ${tt.where} AND ttft_ms IS NOT NULL
ORDER BY cityHash64(trace_id, span_id), span_id
LIMIT {cap:UInt32}`,
    tt.params,
  );

  // Scores resolved at insert, plus scores that arrived before their generation (resolved now by
  // point lookups: response id, then span; lateScores.ts), as in scoresByVersion. No SETTINGS clause (a read-only ClickHouse
  // user may not change settings), and the engine's default join_algorithm ('direct,parallel_hash,hash')
  // already picks the direct (key lookup) join for the span index (EmbeddedRocksDB on a single node,
  // a direct-layout dictionary of the same name in a cluster).
  const sp: Record<string, unknown> = {};
  const resolved = sideFilter(q, sp);
  const unresolved = sideFilter(q, sp, 's.');
  const scoreRows = await select<{
    score_name: string;
    value: number | null;
    label: string;
    data_type: string;
    total: string | number;
  }>(
    client,
    `SELECT score_name, value, label, data_type, count() OVER (PARTITION BY score_name) AS total
FROM (
  (SELECT score_name, ${SCORE_VALUE_SQL} AS value, label, toString(data_type) AS data_type, score_id
  FROM ${db}.promptline_scores
  WHERE project_id = {project:String} AND ${resolved}
    AND generation_time >= {from:DateTime64(3, 'UTC')} AND generation_time < {to:DateTime64(3, 'UTC')})
  UNION ALL
  (SELECT u.score_name AS score_name, u.value AS value, u.label AS label, u.data_type AS data_type,
    u.score_id AS score_id
  FROM (
    SELECT score_name, ${SCORE_VALUE_SQL} AS value, label, toString(data_type) AS data_type, score_id,
      ${LATE_SCORE_KEYS}
    FROM ${db}.promptline_scores
    WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
      AND timestamp >= {from:DateTime64(3, 'UTC')}
  ) AS u
  ${lateScoreJoins(db)}
  WHERE ${unresolved}
    AND s.timestamp >= {from:DateTime64(3, 'UTC')} AND s.timestamp < {to:DateTime64(3, 'UTC')})
)
ORDER BY score_name, cityHash64(score_id), score_id
LIMIT {cap:UInt32} BY score_name`,
    sp,
  );
  const scores = new Map<string, ScoreSample>();
  const types = new Map<string, Map<string, number>>();
  for (const r of scoreRows) {
    let entry = scores.get(r.score_name);
    if (entry === undefined) {
      entry = { values: [], total: num(r.total), labels: new Map<string, number>() };
      scores.set(r.score_name, entry);
      types.set(r.score_name, new Map());
    }
    if (r.value !== null) (entry.values as number[]).push(num(r.value));
    if (r.label !== '') {
      const labels = entry.labels as Map<string, number>;
      labels.set(r.label, (labels.get(r.label) ?? 0) + 1);
    }
    const seen = types.get(r.score_name)!;
    seen.set(r.data_type, (seen.get(r.data_type) ?? 0) + 1);
  }
  for (const [name, entry] of scores) {
    const dataType = mostFrequent(types.get(name)!);
    if (isScoreDataType(dataType)) entry.dataType = dataType;
  }

  return {
    versionName: typeof stats?.version_name === 'string' ? stats.version_name : '',
    generations: num(stats?.n) || 0,
    errors: num(stats?.errors) || 0,
    totalTokens: moments(stats?.ok_n, stats?.tok_mean, stats?.tok_var),
    costUsd: moments(stats?.ok_n, stats?.cost_mean, stats?.cost_var),
    latencyMs: latency.map((r) => num(r.v)),
    ttftMs: ttft.map((r) => num(r.v)),
    ttftCount: num(stats?.ttft_n) || 0,
    scores,
  };
}
