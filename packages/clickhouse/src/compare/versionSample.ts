import type { ClickHouseClient } from '@clickhouse/client';
import { queryDatabase } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { chTime, select } from '../read/select.js';
import { LATE_SCORE_KEYS, lateScoreJoins } from '../read/lateScores.js';

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
  /** Sampled numeric score values by score name, and the number of numeric scores per name. */
  scores: Map<string, { values: number[]; total: number }>;
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

/** Reads one side: 4 queries (moments, latency sample, TTFT sample, score samples). */
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
  const scoreRows = await select<{ score_name: string; value: number; total: string | number }>(
    client,
    `SELECT score_name, value, count() OVER (PARTITION BY score_name) AS total
FROM (
  (SELECT score_name, assumeNotNull(value) AS value, score_id
  FROM ${db}.promptline_scores
  WHERE project_id = {project:String} AND ${resolved} AND value IS NOT NULL
    AND generation_time >= {from:DateTime64(3, 'UTC')} AND generation_time < {to:DateTime64(3, 'UTC')})
  UNION ALL
  (SELECT u.score_name AS score_name, assumeNotNull(u.value) AS value, u.score_id AS score_id
  FROM (
    SELECT score_name, value, score_id, ${LATE_SCORE_KEYS} FROM ${db}.promptline_scores
    WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0 AND value IS NOT NULL
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
  const scores = new Map<string, { values: number[]; total: number }>();
  for (const r of scoreRows) {
    const entry = scores.get(r.score_name) ?? { values: [], total: num(r.total) };
    entry.values.push(num(r.value));
    scores.set(r.score_name, entry);
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
