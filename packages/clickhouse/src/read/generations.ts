import type { ClickHouseClient } from '@clickhouse/client';
import { PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { versionName } from '../schema/promptVersion.js';
import { checkWindow, DEFAULT_PROJECT, queryDatabase } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { chTime, isoTime, n, select } from './select.js';
import { resolveVersion } from './versionInput.js';

/**
 * The generations of one prompt version, newest first, paged with a cursor, and one generation in
 * detail (with the captured input/output from its span): the lineage from a version to its
 * responses. Scores are joined per page, resolved at insert or later through the span index.
 *
 * @module
 */

/** Options of {@link listGenerations}. */
export interface GenerationsQuery {
  projectId?: string;
  database?: string;
  promptName: string;
  /** The version as stored (`3`, a named version's id) or as sent (`'3'`, `'v3'`, `'2.1.0'`, `'#a1b2c3d4'`). */
  version: number | string;
  from: Date;
  to: Date;
  environment?: string;
  /** `ok` (no error) or `error`. Default: both. */
  status?: 'ok' | 'error';
  /** Only generations with this score… */
  score?: string;
  /** …whose numeric value is ≥ this… */
  scoreMin?: number;
  /** …and ≤ this. */
  scoreMax?: number;
  /** Rows per page, 1–200. Default 50. */
  limit?: number;
  /** The `next` cursor of the previous page. */
  cursor?: string;
}

/** A score of one generation. */
export interface GenerationScore {
  name: string;
  value: number | null;
  label: string;
  source: string;
  comment: string;
  /** ISO-8601 UTC. */
  time: string;
}

/** One generation (a row of the list). */
export interface GenerationRow {
  /** ISO-8601 UTC with nanoseconds as stored. */
  time: string;
  traceId: string;
  spanId: string;
  /** `prompt_version` as stored. */
  version: number;
  /** The version as sent (`3`, `2.1.0`, `#a1b2c3d4`). */
  versionName: string;
  label: string;
  environment: string;
  model: string;
  latencyMs: number;
  ttftMs: number | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  status: 'ok' | 'error';
  errorType: string;
  scores: GenerationScore[];
}

/** One page of {@link listGenerations}. */
export interface GenerationsPage {
  rows: GenerationRow[];
  /** Cursor of the next (older) page; `null` on the last page. */
  next: string | null;
}

/** A generation with its span's captured input/output and attributes. */
export interface GenerationDetail extends GenerationRow {
  promptName: string;
  promptHash: string;
  provider: string;
  serviceName: string;
  cacheReadTokens: number;
  reasoningTokens: number;
  inputCostUsd: number;
  outputCostUsd: number;
  costSource: string;
  validationPassed: boolean | null;
  experiment: { name: string; arm: string } | null;
  /** Captured input (already redacted at ingest), `null` when not captured. */
  input: string | null;
  output: string | null;
  inputTruncated: boolean;
  outputTruncated: boolean;
  spanName: string;
  statusMessage: string;
  /** Span attributes (strings, as stored). */
  attributes: Record<string, string>;
}

const ID = /^[0-9a-f]{1,64}$/;

function decodeCursor(cursor: string): { time: string; spanId: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new QueryOptionsError('generations: cursor is invalid (use the "next" value of the previous page)');
  }
  const c = parsed as { t?: unknown; s?: unknown };
  if (
    typeof c.t !== 'string' ||
    !/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,9})?$/.test(c.t) ||
    typeof c.s !== 'string' ||
    !ID.test(c.s)
  )
    throw new QueryOptionsError('generations: cursor is invalid (use the "next" value of the previous page)');
  return { time: c.t, spanId: c.s };
}

function encodeCursor(time: string, spanId: string): string {
  return Buffer.from(JSON.stringify({ t: time, s: spanId }), 'utf8').toString('base64url');
}

interface RawRow {
  timestamp: string;
  trace_id: string;
  span_id: string;
  prompt_version: number | string;
  version_name: string;
  prompt_label: string;
  environment: string;
  model: string;
  latency_ms: number;
  ttft_ms: number | null;
  input_tokens: number | string;
  output_tokens: number | string;
  cost_usd: number;
  is_error: number;
  error_type: string;
}

const ROW_COLUMNS = `timestamp, trace_id, span_id, prompt_version, toString(prompt_version_name) AS version_name,
  prompt_label, environment, model,
  latency_ms, ttft_ms, input_tokens, output_tokens, cost_usd, is_error, error_type`;

function toRow(r: RawRow, scores: GenerationScore[]): GenerationRow {
  return {
    time: isoNanos(r.timestamp),
    traceId: r.trace_id,
    spanId: r.span_id,
    version: n(r.prompt_version),
    versionName: versionName(n(r.prompt_version), r.version_name),
    label: r.prompt_label,
    environment: r.environment,
    model: r.model,
    latencyMs: r.latency_ms,
    ttftMs: r.ttft_ms,
    inputTokens: n(r.input_tokens),
    outputTokens: n(r.output_tokens),
    costUsd: r.cost_usd,
    status: n(r.is_error) === 0 ? 'ok' : 'error',
    errorType: r.error_type,
    scores,
  };
}

/** '2026-11-20 12:00:00.123456789' → '2026-11-20T12:00:00.123456789Z'. */
function isoNanos(ch: string): string {
  return /^\d{4}-\d{2}-\d{2} /.test(ch) ? `${ch.replace(' ', 'T')}Z` : ch;
}

/**
 * Scores of the given spans of one prompt version, resolved at insert or (stored before their span)
 * through their span key; `since` bounds the scan (a score is never older than its generation).
 */
async function scoresOf(
  client: ClickHouseClient,
  db: string,
  project: string,
  prompt: string,
  version: number,
  spans: Array<{ traceId: string; spanId: string }>,
  since: string,
): Promise<Map<string, GenerationScore[]>> {
  const out = new Map<string, GenerationScore[]>();
  if (spans.length === 0) return out;
  const keys = spans.map((s) => `${project}:${s.traceId}${s.spanId}`);
  const rows = await select<{
    span_key: string;
    score_name: string;
    value: number | null;
    label: string;
    source: string;
    comment: string;
    timestamp: string;
  }>(
    client,
    `SELECT span_key, score_name, value, label, source, comment, timestamp
FROM ${db}.promptline_scores
WHERE project_id = {project:String}
  AND ((prompt_name = {prompt:String} AND prompt_version = {version:UInt32}) OR (prompt_name = '' AND prompt_version = 0))
  AND timestamp >= {since:DateTime64(9, 'UTC')} AND span_key IN {keys:Array(String)}
ORDER BY timestamp
LIMIT 1 BY span_key, score_name, timestamp, score_id`,
    { project, prompt, version, since, keys },
  );
  for (const r of rows) {
    const id = r.span_key.slice(project.length + 1);
    const list = out.get(id) ?? [];
    list.push({
      name: r.score_name,
      value: r.value,
      label: r.label,
      source: r.source,
      comment: r.comment,
      time: isoTime(r.timestamp),
    });
    out.set(id, list);
  }
  return out;
}

/**
 * A page of one version's generations in `[from, to)`, newest first.
 *
 * @example
 * const page = await listGenerations(client, { promptName: 'support-reply', version: 2, from, to, status: 'error' });
 * const more = page.next === null ? undefined : await listGenerations(client, { ...q, cursor: page.next });
 */
export async function listGenerations(
  client: ClickHouseClient,
  q: GenerationsQuery,
): Promise<GenerationsPage> {
  checkWindow(q);
  const version = resolveVersion(q.version, 'generations: version').id;
  const limit = q.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new QueryOptionsError('generations: limit must be an integer in 1…200');
  if (q.status !== undefined && q.status !== 'ok' && q.status !== 'error')
    throw new QueryOptionsError('generations: status must be "ok" or "error"');
  if ((q.scoreMin !== undefined || q.scoreMax !== undefined) && q.score === undefined)
    throw new QueryOptionsError('generations: scoreMin/scoreMax need score (the score name)');
  for (const [k, v] of [
    ['scoreMin', q.scoreMin],
    ['scoreMax', q.scoreMax],
  ] as const)
    if (v !== undefined && !Number.isFinite(v))
      throw new QueryOptionsError(`generations: ${k} must be a number`);
  const db = queryDatabase(q);
  const project = q.projectId ?? DEFAULT_PROJECT;
  const params: Record<string, unknown> = {
    project,
    prompt: q.promptName,
    version,
    from: chTime(q.from.getTime()),
    to: chTime(q.to.getTime()),
    limit: limit + 1,
  };
  let where = `project_id = {project:String} AND prompt_name = {prompt:String} AND prompt_version = {version:UInt32}
  AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}`;
  if (q.environment !== undefined) {
    params.environment = q.environment;
    where += ' AND environment = {environment:String}';
  }
  if (q.status !== undefined) where += q.status === 'error' ? ' AND is_error = 1' : ' AND is_error = 0';
  if (q.cursor !== undefined) {
    const c = decodeCursor(q.cursor);
    params.ct = c.time;
    params.cs = c.spanId;
    where += ` AND (timestamp, span_id) < ({ct:DateTime64(9, 'UTC')}, {cs:String})`;
  }
  if (q.score !== undefined) {
    params.score = q.score;
    let range = '';
    if (q.scoreMin !== undefined) {
      params.smin = q.scoreMin;
      range += ' AND value >= {smin:Float64}';
    }
    if (q.scoreMax !== undefined) {
      params.smax = q.scoreMax;
      range += ' AND value <= {smax:Float64}';
    }
    // Scores resolved at insert carry the version; earlier ones are matched by span key.
    where += ` AND concat({project:String}, ':', trace_id, span_id) IN (
    SELECT span_key FROM ${db}.promptline_scores
    WHERE project_id = {project:String} AND score_name = {score:String}${range}
      AND ((prompt_name = {prompt:String} AND prompt_version = {version:UInt32}) OR (prompt_name = '' AND prompt_version = 0))
      AND timestamp >= {from:DateTime64(3, 'UTC')})`;
  }
  const raw = await select<RawRow>(
    client,
    `SELECT ${ROW_COLUMNS}
FROM ${db}.promptline_generations
WHERE ${where}
ORDER BY timestamp DESC, span_id DESC
LIMIT {limit:UInt32}`,
    params,
  );
  const page = raw.slice(0, limit);
  const oldest = page[page.length - 1];
  const scores =
    oldest === undefined
      ? new Map<string, GenerationScore[]>()
      : await scoresOf(
          client,
          db,
          project,
          q.promptName,
          version,
          page.map((r) => ({ traceId: r.trace_id, spanId: r.span_id })),
          oldest.timestamp,
        );
  return {
    rows: page.map((r) => toRow(r, scores.get(`${r.trace_id}${r.span_id}`) ?? [])),
    next: raw.length > limit && oldest !== undefined ? encodeCursor(oldest.timestamp, oldest.span_id) : null,
  };
}

/** Options of {@link generationDetail}. */
export interface GenerationDetailQuery {
  projectId?: string;
  database?: string;
  traceId: string;
  spanId: string;
}

/**
 * One generation of the project with its span's captured input/output; `null` when the project has
 * no such generation.
 */
export async function generationDetail(
  client: ClickHouseClient,
  q: GenerationDetailQuery,
): Promise<GenerationDetail | null> {
  if (!ID.test(q.traceId) || !ID.test(q.spanId))
    throw new QueryOptionsError('generation: trace and span ids must be lowercase hex');
  const db = queryDatabase(q);
  const project = q.projectId ?? DEFAULT_PROJECT;
  const params = { project, trace: q.traceId, span: q.spanId };
  // The span index answers "which prompt and when" by key; the generations row is then a
  // primary-key read.
  const located = await select<{ prompt_name: string; prompt_version: number | string; timestamp: string }>(
    client,
    `SELECT prompt_name, prompt_version, timestamp FROM ${db}.promptline_span_index
WHERE span_key = concat({project:String}, ':', {trace:String}, {span:String})`,
    params,
  );
  const at = located[0];
  if (at === undefined) return null;
  const rows = await select<
    RawRow & {
      prompt_name: string;
      prompt_hash: string;
      provider: string;
      service_name: string;
      cache_read_tokens: number | string;
      reasoning_tokens: number | string;
      input_cost_usd: number;
      output_cost_usd: number;
      cost_source: string;
      validation_passed: number | null;
      experiment_name: string;
      experiment_arm: string;
    }
  >(
    client,
    `SELECT ${ROW_COLUMNS}, prompt_name, prompt_hash, provider, service_name, cache_read_tokens, reasoning_tokens,
  input_cost_usd, output_cost_usd, cost_source, validation_passed, experiment_name, experiment_arm
FROM ${db}.promptline_generations
WHERE project_id = {project:String} AND prompt_name = {prompt:String} AND prompt_version = {version:UInt32}
  AND toStartOfHour(timestamp) = toStartOfHour({ts:DateTime64(9, 'UTC')}) AND timestamp = {ts:DateTime64(9, 'UTC')}
  AND trace_id = {trace:String} AND span_id = {span:String}
LIMIT 1`,
    { ...params, prompt: at.prompt_name, version: n(at.prompt_version), ts: at.timestamp },
  );
  const g = rows[0];
  if (g === undefined) return null;
  const spans = await select<{
    SpanName: string;
    StatusMessage: string;
    SpanAttributes: Record<string, string>;
  }>(
    client,
    `SELECT SpanName, StatusMessage, SpanAttributes FROM ${db}.otel_traces
WHERE toDate(Timestamp) = toDate({ts:DateTime64(9, 'UTC')}) AND Timestamp = {ts:DateTime64(9, 'UTC')}
  AND TraceId = {trace:String} AND SpanId = {span:String}
  AND ResourceAttributes[{projectKey:String}] = {project:String}
LIMIT 1`,
    { ...params, ts: g.timestamp, projectKey: RESOURCE.PROJECT_ID },
  );
  const span = spans[0];
  const attrs = span?.SpanAttributes ?? {};
  const text = (k: string): string | null => (k in attrs ? (attrs[k] ?? null) : null);
  const scores = await scoresOf(
    client,
    db,
    project,
    g.prompt_name,
    n(g.prompt_version),
    [{ traceId: g.trace_id, spanId: g.span_id }],
    g.timestamp,
  );
  return {
    ...toRow(g, scores.get(`${g.trace_id}${g.span_id}`) ?? []),
    promptName: g.prompt_name,
    promptHash: g.prompt_hash,
    provider: g.provider,
    serviceName: g.service_name,
    cacheReadTokens: n(g.cache_read_tokens),
    reasoningTokens: n(g.reasoning_tokens),
    inputCostUsd: g.input_cost_usd,
    outputCostUsd: g.output_cost_usd,
    costSource: g.cost_source,
    validationPassed: g.validation_passed === null ? null : n(g.validation_passed) === 1,
    experiment: g.experiment_name === '' ? null : { name: g.experiment_name, arm: g.experiment_arm },
    input: text(PROMPTLINE.INPUT),
    output: text(PROMPTLINE.OUTPUT),
    inputTruncated: attrs[PROMPTLINE.INPUT_TRUNCATED] === 'true',
    outputTruncated: attrs[PROMPTLINE.OUTPUT_TRUNCATED] === 'true',
    spanName: span?.SpanName ?? '',
    statusMessage: span?.StatusMessage ?? '',
    attributes: attrs,
  };
}
