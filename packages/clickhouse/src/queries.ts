import type { ClickHouseClient } from '@clickhouse/client';
import { histKey, histQuantiles, histUntag, histValueSql } from './histogram.js';
import { quoteIdent } from './renderSql.js';
import { STAT_COUNTS, STAT_SUMS, statsAggregateSql } from './statsLayout.js';
import type { StatFigureName } from './statsLayout.js';

/**
 * The typed, parameterised query layer over the aggregates. Every value reaches ClickHouse as a
 * `{name:Type}` query parameter; only fixed SQL fragments and validated identifiers (the database
 * name) are composed. Results are plain objects (numbers, strings, ISO-8601 UTC times).
 *
 * Windows are half-open `[from, to)`. A window is answered from the coarsest exact pieces:
 * whole days and whole hours from `promptline_version_stats` (daily and hourly rows of one table)
 * and the sub-hour edges from `promptline_generations`; their histograms are merged, so the edges
 * are exact rather than rounded to buckets.
 *
 * @module
 */

/**
 * The project the collector stamps on data it accepts without a key (its `anonymous_project`, default
 * `default`), and so the project a query reads when it names none.
 */
export const DEFAULT_PROJECT = 'default';

/** Common filter of every query. */
export interface PromptQuery {
  /** Prompt name. */
  promptName: string;
  /** Project id (resource `promptline.project.id`). Default {@link DEFAULT_PROJECT} (`default`), the collector's anonymous project. */
  projectId?: string;
  /** Database. Default `default`. */
  database?: string;
  /** Only this environment (`deployment.environment.name`). Default: all. */
  environment?: string;
  /** Only this label. Default: all. */
  label?: string;
  /** Only this model. Default: all. */
  model?: string;
}

/** A time window `[from, to)`. */
export interface WindowQuery extends PromptQuery {
  from: Date;
  to: Date;
  /**
   * Rows of the raw window edges (≤ 2 h) folded in JS at most; an edge with more rows is folded in
   * SQL with the same histogram maths (same results, bounded memory). Default `50_000`.
   */
  rawEdgeMaxRows?: number;
}

/** p50/p90/p95/p99 and mean of one measure. */
export interface Quantiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  mean: number;
}

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

/** Metrics of one prompt version in a window. */
export interface VersionMetrics {
  version: number;
  requests: number;
  errors: number;
  /** errors / requests. */
  errorRate: number;
  /** Latency in ms over all generations. */
  latencyMs: Quantiles;
  /** Time to first chunk in ms over streamed generations; `null` when none streamed. */
  ttftMs: (Quantiles & { count: number }) | null;
  /** input+output tokens per successful generation. */
  totalTokens: Omit<Quantiles, 'mean'>;
  /** USD per successful generation. */
  costUsd: Omit<Quantiles, 'mean'>;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalCostUsd: number;
  inputCostUsd: number;
  outputCostUsd: number;
  /** Generations with a validation result. */
  validated: number;
  /** passed / validated; `null` when nothing was validated. */
  validationPassRate: number | null;
  /** ISO-8601 UTC of the first / last generation in the window. */
  firstSeen: string;
  lastSeen: string;
  /** Scores by name (empty unless `includeScores`). */
  scores: ScoreSummary[];
}

/** One point of a per-version time series. */
export interface TimeSeriesPoint {
  /** Bucket start, ISO-8601 UTC. */
  bucket: string;
  version: number;
  requests: number;
  errors: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  /** `null` when nothing streamed in the bucket. */
  ttftP50Ms: number | null;
  totalTokens: number;
  costUsd: number;
}

/** Traffic of one label → version pair in a window. */
export interface LabelShare {
  label: string;
  version: number;
  requests: number;
  /** requests / all requests of the prompt in the window (0..1). */
  share: number;
}

/** When a label was seen pointing at a version (from spans). */
export interface LabelHistoryEntry {
  label: string;
  version: number;
  environment: string;
  requests: number;
  firstSeen: string;
  lastSeen: string;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
const LEVELS = [0.5, 0.9, 0.95, 0.99] as const;

export type Source = 'raw' | '1h' | '1d';
export interface Segment {
  source: Source;
  from: number;
  to: number;
}

/** Split `[from, to)` into raw edges, whole hours and whole days. Exported for tests. */
export function planSegments(from: number, to: number): Array<{ source: Source; from: number; to: number }> {
  if (!(to > from)) return [];
  const h1 = Math.ceil(from / HOUR) * HOUR;
  const h2 = Math.floor(to / HOUR) * HOUR;
  if (h1 >= h2) return [{ source: 'raw', from, to }];
  const out: Segment[] = [];
  if (from < h1) out.push({ source: 'raw', from, to: h1 });
  const d1 = Math.ceil(h1 / DAY) * DAY;
  const d2 = Math.floor(h2 / DAY) * DAY;
  if (d1 < d2) {
    if (h1 < d1) out.push({ source: '1h', from: h1, to: d1 });
    out.push({ source: '1d', from: d1, to: d2 });
    if (d2 < h2) out.push({ source: '1h', from: d2, to: h2 });
  } else {
    out.push({ source: '1h', from: h1, to: h2 });
  }
  if (h2 < to) out.push({ source: 'raw', from: h2, to });
  return out;
}

export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

export function isoTime(ch: string): string {
  // '2026-11-20 12:00:00.123456789' (UTC) -> '2026-11-20T12:00:00.123Z'
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(ch);
  return m ? `${m[1]}T${m[2]}${(m[3] ?? '.000').padEnd(4, '0')}Z` : ch;
}

export function checkWindow(q: WindowQuery): void {
  if (
    !(q.from instanceof Date) ||
    !(q.to instanceof Date) ||
    isNaN(q.from.getTime()) ||
    isNaN(q.to.getTime())
  ) {
    throw new Error('query window: from and to must be valid Dates');
  }
  if (q.to.getTime() <= q.from.getTime()) throw new Error('query window: to must be after from');
  if (typeof q.promptName !== 'string' || q.promptName === '')
    throw new Error('query: promptName is required');
}

/**
 * A query over every prompt of the project (the overview): `promptName` is then not filtered on.
 * Internal to the query layer.
 */
export type AnyPromptQuery = WindowQuery & { anyPrompt?: boolean };

/** Filters shared by every segment, as SQL with parameters only. */
export function dimFilter(q: PromptQuery & { anyPrompt?: boolean }, params: Record<string, unknown>): string {
  params.project = q.projectId ?? DEFAULT_PROJECT;
  let sql = 'project_id = {project:String}';
  if (q.anyPrompt !== true) {
    params.prompt = q.promptName;
    sql += ' AND prompt_name = {prompt:String}';
  }
  if (q.environment !== undefined) {
    params.environment = q.environment;
    sql += ' AND environment = {environment:String}';
  }
  if (q.label !== undefined) {
    params.label = q.label;
    sql += ' AND prompt_label = {label:String}';
  }
  if (q.model !== undefined) {
    params.model = q.model;
    sql += ' AND model = {model:String}';
  }
  return sql;
}

/**
 * UNION ALL of per-segment state rows (packed columns, see statsLayout.ts), grouped by `keys`
 * (column names of the aggregate table: prompt_version, prompt_label, …). Whole hours and days are
 * one read of `promptline_version_stats` (each bucket size's ranges OR-ed); raw segments are folded
 * from generations. `bucketExpr` (optional) adds a `ts` key computed from the bucket / timestamp.
 */
function statesUnion(
  db: string,
  q: WindowQuery,
  params: Record<string, unknown>,
  keys: string[],
  segments: Segment[],
  bucketExpr?: (col: string) => string,
): string {
  if (segments.length === 0) return '';
  const filter = dimFilter(q, params);
  // A source's ranges (head and tail edges) are OR-ed into one condition.
  const ranges = (source: Source, col: string, cast: (p: string) => string): string =>
    segments
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.source === source)
      .map(({ s, i }) => {
        params[`f${i}`] = chTime(s.from);
        params[`t${i}`] = chTime(s.to);
        return `(${col} >= ${cast(`{f${i}:DateTime64(3, 'UTC')}`)} AND ${col} < ${cast(`{t${i}:DateTime64(3, 'UTC')}`)})`;
      })
      .join(' OR ');
  const parts: string[] = [];
  if (segments.some((s) => s.source === 'raw')) {
    const ts = bucketExpr ? `, ${bucketExpr('g.timestamp')} AS ts` : '';
    parts.push(`SELECT ${keys.join(', ')}${ts}, ${statsAggregateSql()}
FROM ${db}.promptline_generations AS g
WHERE ${filter} AND prompt_version > 0 AND (${ranges('raw', 'g.timestamp', (p) => p)})
GROUP BY ${[...keys, ...(bucketExpr ? ['ts'] : [])].join(', ')}`);
  }
  const sized = (['1h', '1d'] as const)
    .filter((source) => segments.some((s) => s.source === source))
    .map(
      (source) =>
        `(bucket_seconds = ${source === '1h' ? 3600 : 86400} AND (${ranges(source, 'bucket', (p) => `toDateTime(${p})`)}))`,
    );
  if (sized.length > 0) {
    const ts = bucketExpr ? `, ${bucketExpr('bucket')} AS ts` : '';
    parts.push(`SELECT ${keys.join(', ')}${ts}, counts, sums, hist, first_seen, last_seen
FROM ${db}.promptline_version_stats
WHERE ${filter} AND (${sized.join(' OR ')})`);
  }
  return parts.join('\nUNION ALL\n');
}

// The merged histogram leaves as two arrays (Float64 counts: JSON numbers, exact below 2^53): a
// JSON object of a few thousand keys cost ~2 ms per query to walk in JS.
const MERGED = `sumMap(counts) AS counts, sumMap(sums) AS sums, mapKeys(sumMap(hist)) AS hist_keys,
  CAST(mapValues(sumMap(hist)), 'Array(Float64)') AS hist_counts,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen`;

/** A merged packed row as the engine returns it (map keys as strings; 64-bit integers may be strings). */
interface MergedRow {
  counts: Record<string, string | number>;
  sums: Record<string, number>;
  hist_keys: number[];
  hist_counts: number[];
  first_seen: string;
  last_seen: string;
  /** A raw-edge generation's values ({@link EDGE_AS_MERGED}); empty on merged rows. */
  edge: EdgeValue[];
}

type Keyed = MergedRow & Record<string, unknown>;

const COUNTS: readonly StatFigureName[] = STAT_COUNTS.map((f) => f.name);
const SUMS: readonly StatFigureName[] = STAT_SUMS.map((f) => f.name);
export const COUNTERS = [...COUNTS, ...SUMS];
/** Group fields of the histograms, in tag order (statsLayout.ts STAT_HISTOGRAMS). */
export const HISTOGRAMS = ['latency_h', 'ttft_h', 'tokens_h', 'cost_h'] as const;

/** One group's running totals: counters as numbers, histograms as bucket key → count. */
export type Group = Record<string, unknown> & { [K in StatFigureName]: number } & {
  [K in (typeof HISTOGRAMS)[number]]: Hist;
} & { first_seen: string; last_seen: string };

function newGroup(keys: readonly string[], r: Record<string, unknown>): Group {
  const g: Record<string, unknown> = { first_seen: '', last_seen: '' };
  for (const k of keys) g[k] = r[k];
  for (const f of COUNTERS) g[f] = 0;
  for (const f of HISTOGRAMS) g[f] = new Map<number, number>();
  return g as Group;
}

export function addHist(h: Hist, key: number, count: number): void {
  h.set(key, (h.get(key) ?? 0) + count);
}

function addRow(g: Group, r: MergedRow): void {
  const bump = (name: StatFigureName | undefined, v: string | number | undefined): void => {
    if (name !== undefined) g[name] += n(v);
  };
  for (const k in r.counts) bump(COUNTS[Number(k)], r.counts[k]);
  for (const k in r.sums) bump(SUMS[Number(k)], r.sums[k]);
  const keys = r.hist_keys;
  for (let i = 0; i < keys.length; i++) {
    const [m, key] = histUntag(keys[i] as number);
    const name = HISTOGRAMS[m];
    if (name !== undefined) addHist(g[name], key, r.hist_counts[i] as number);
  }
  if (r.first_seen !== '' && (g.first_seen === '' || r.first_seen < g.first_seen))
    g.first_seen = r.first_seen;
  if (r.last_seen !== '' && r.last_seen > g.last_seen) g.last_seen = r.last_seen;
}

/**
 * One raw-edge generation shaped like a merged row: empty packed figures, its timestamp as first and
 * last seen, and its values in `edge` (in the order {@link addEdge} reads them). Merged rows carry
 * an empty `edge`.
 */
const EDGE_AS_MERGED = `CAST(map(), 'Map(UInt8, UInt64)') AS counts, CAST(map(), 'Map(UInt8, Float64)') AS sums,
  CAST([], 'Array(Int32)') AS hist_keys, CAST([], 'Array(Float64)') AS hist_counts,
  timestamp AS first_seen, timestamp AS last_seen,
  CAST([is_error, latency_ms, ttft_ms, input_tokens, output_tokens, cache_read_tokens, reasoning_tokens,
    cost_usd, input_cost_usd, output_cost_usd, validation_passed], 'Array(Nullable(Float64))') AS edge`;

type EdgeValue = string | number | null;

/**
 * Add one raw-edge generation (timestamp, `edge` values of {@link EDGE_AS_MERGED}) to a group: the JS twin of the
 * figures of statsLayout.ts (checked against the SQL fold by the ground-truth tests).
 */
function addEdge(g: Group, ts: string, e: readonly EdgeValue[]): void {
  const [isError, latency, ttft, input, output, cacheRead, reasoning, cost, inCost, outCost, valid] = e;
  const ok = n(isError) === 0;
  const inTok = n(input);
  const outTok = n(output);
  g.requests += 1;
  g.errors += n(isError);
  g.latency_ms_sum += n(latency);
  addHist(g.latency_h, histKey(n(latency)), 1);
  if (ttft !== null && ttft !== undefined) {
    g.ttft_count += 1;
    g.ttft_ms_sum += n(ttft);
    addHist(g.ttft_h, histKey(n(ttft)), 1);
  }
  g.input_tokens += inTok;
  g.output_tokens += outTok;
  g.cache_read_tokens += n(cacheRead);
  g.reasoning_tokens += n(reasoning);
  g.cost_usd += n(cost);
  g.input_cost_usd += n(inCost);
  g.output_cost_usd += n(outCost);
  if (ok) {
    addHist(g.tokens_h, histKey(inTok + outTok), 1);
    addHist(g.cost_h, histKey(n(cost)), 1);
  }
  if (valid !== null && valid !== undefined) {
    g.validated += 1;
    if (n(valid) === 1) g.validation_passed += 1;
  }
  if (g.first_seen === '' || ts < g.first_seen) g.first_seen = ts;
  if (ts > g.last_seen) g.last_seen = ts;
}

const RAW_EDGE_MAX = 2 * 3_600_000;
const RAW_EDGE_MAX_ROWS = 50_000;

/**
 * Merged per-group rows for a window: whole hours/days from the aggregates, raw edges from
 * generations, in ONE query (each query has a fixed cost on the engine and in the client that is a
 * large part of a small window's time; measured: two queries side by side ~3 ms slower). Short raw
 * edges (≤ 2 h, always the case for window edges) come back as plain rows (at most
 * `rawEdgeMaxRows` + 1 of them, values in one `edge` array) next to the merged aggregate rows and are
 * folded here: building their histograms in SQL cost more to plan than reading them. An edge of more
 * than `rawEdgeMaxRows` rows (a busy prompt) is folded in SQL instead, by a second query, so at most
 * that many rows are ever read into memory. `bucket` adds an epoch-aligned `bucket` key.
 */
export async function mergedRows(
  client: ClickHouseClient,
  db: string,
  q: WindowQuery,
  keys: string[],
  segments: Segment[],
  bucket?: { ms: number; expr: (col: string) => string; param: Record<string, unknown> },
): Promise<Group[]> {
  const raw = segments.filter((s) => s.source === 'raw');
  const rawInJs = raw.reduce((a, s) => a + (s.to - s.from), 0) <= RAW_EDGE_MAX;
  const sqlSegments = rawInJs ? segments.filter((s) => s.source !== 'raw') : segments;
  const maxRows = q.rawEdgeMaxRows ?? RAW_EDGE_MAX_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 0)
    throw new Error('query: rawEdgeMaxRows must be an integer ≥ 0');
  const groupKeys = [...keys, ...(bucket ? ['bucket'] : [])];
  const keyOf = (r: Record<string, unknown>): string => groupKeys.map((k) => String(r[k])).join('\u0000');
  const out = new Map<string, Group>();
  const group = (r: Record<string, unknown>): Group => {
    const k = keyOf(r);
    let g = out.get(k);
    if (!g) out.set(k, (g = newGroup(groupKeys, r)));
    return g;
  };
  const add = (r: Keyed): void => addRow(group(r), r);
  const bucketCol = bucket ? "toDateTime(ts, 'UTC') AS bucket, " : '';
  const foldSql = (parts: Segment[], params: Record<string, unknown>): string => {
    const union = statesUnion(db, q, params, keys, parts, bucket?.expr);
    return `SELECT ${bucketCol}${keys.join(', ')}, ${MERGED}, CAST([], 'Array(Nullable(Float64))') AS edge
FROM (${union})
GROUP BY ${[...keys, ...(bucket ? ['ts'] : [])].join(', ')}`;
  };
  const params: Record<string, unknown> = { ...(bucket?.param ?? {}) };
  const branches: string[] = [];
  if (sqlSegments.length > 0) branches.push(foldSql(sqlSegments, params));
  const edges = rawInJs && raw.length > 0;
  if (edges) {
    params.rawLimit = maxRows + 1;
    const filter = dimFilter(q, params);
    // The hour condition lets the primary key (…, toStartOfHour(timestamp), timestamp) skip to the edge.
    const ranges = raw
      .map((s, i) => {
        params[`rf${i}`] = chTime(s.from);
        params[`rt${i}`] = chTime(s.to);
        return `(toStartOfHour(timestamp) >= toStartOfHour({rf${i}:DateTime64(3, 'UTC')})
    AND toStartOfHour(timestamp) <= toStartOfHour({rt${i}:DateTime64(3, 'UTC')})
    AND timestamp >= {rf${i}:DateTime64(3, 'UTC')} AND timestamp < {rt${i}:DateTime64(3, 'UTC')})`;
      })
      .join(' OR ');
    const ts = bucket ? `toDateTime(${bucket.expr('timestamp')}, 'UTC') AS bucket, ` : '';
    branches.push(`SELECT ${ts}${keys.join(', ')}, ${EDGE_AS_MERGED}
FROM ${db}.promptline_generations
WHERE ${filter} AND prompt_version > 0 AND (${ranges})
LIMIT {rawLimit:UInt64}`);
  }
  const rows = await select<Keyed>(client, branches.join('\nUNION ALL\n'), params);
  const edgeRows = rows.filter((r) => r.edge.length > 0);
  for (const r of rows) if (r.edge.length === 0) add(r);
  if (edgeRows.length > maxRows) {
    // A busy edge: drop its rows and fold it in SQL instead.
    const p: Record<string, unknown> = { ...(bucket?.param ?? {}) };
    for (const r of await select<Keyed>(client, foldSql(raw, p), p)) add(r);
  } else {
    for (const r of edgeRows) addEdge(group(r), r.first_seen, r.edge);
  }
  return [...out.values()];
}

export function n(v: string | number | null | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

// Merged as Map(Int16, UInt64) (measured ~2x faster than sumMap over the stored key/count tuple),
// so it arrives as a JSON object of key -> count; groups hold it as a Map.
export type HistObject = Record<string, number | string>;
export type Hist = Map<number, number>;

export function histLevels(h: Hist | HistObject, levels: readonly number[]): Array<number | null> {
  if (h instanceof Map) return histQuantiles([...h.keys()], [...h.values()], levels);
  const keys = Object.keys(h);
  return histQuantiles(
    keys.map(Number),
    keys.map((k) => h[k] ?? 0),
    levels,
  );
}

export function quantiles(h: Hist): Omit<Quantiles, 'mean'> {
  const q = histLevels(h, LEVELS);
  return { p50: n(q[0]), p90: n(q[1]), p95: n(q[2]), p99: n(q[3]) };
}

// No clickhouse_settings here: the embedded engine applies them as session-wide SET. 64-bit
// integers therefore arrive as JSON strings; every reader goes through n().
export async function select<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const rs = await client.query({
    query,
    format: 'JSONEachRow',
    query_params: params,
  });
  return rs.json<T>();
}

/** Options of {@link metricsByVersion}. */
export interface MetricsByVersionQuery extends WindowQuery {
  /** Also read score summaries (one more query). Default `true`. */
  includeScores?: boolean;
}

/**
 * Metrics per prompt version for one prompt in a window, newest version first.
 *
 * @example
 * const rows = await metricsByVersion(client, {
 *   promptName: 'support-reply', from: new Date(Date.now() - 7 * 86_400_000), to: new Date(),
 * });
 * const p95 = rows[0]?.latencyMs.p95; // newest version first
 */
export async function metricsByVersion(
  client: ClickHouseClient,
  q: MetricsByVersionQuery,
): Promise<VersionMetrics[]> {
  checkWindow(q);
  const db = quoteIdent(q.database ?? 'default', 'database');
  const rows = (
    await mergedRows(client, db, q, ['prompt_version'], planSegments(q.from.getTime(), q.to.getTime()))
  ).sort((a, b) => n(b.prompt_version as number) - n(a.prompt_version as number));
  const scores =
    q.includeScores === false ? new Map<number, ScoreSummary[]>() : await scoresByVersion(client, q);
  return rows.map((r) => {
    const version = n(r.prompt_version as number);
    const requests = n(r.requests);
    const errors = n(r.errors);
    const ttftCount = n(r.ttft_count);
    const validated = n(r.validated);
    return {
      version,
      requests,
      errors,
      errorRate: requests === 0 ? 0 : errors / requests,
      latencyMs: { ...quantiles(r.latency_h), mean: requests === 0 ? 0 : r.latency_ms_sum / requests },
      ttftMs:
        ttftCount === 0
          ? null
          : { ...quantiles(r.ttft_h), mean: r.ttft_ms_sum / ttftCount, count: ttftCount },
      totalTokens: quantiles(r.tokens_h),
      costUsd: quantiles(r.cost_h),
      inputTokens: n(r.input_tokens),
      outputTokens: n(r.output_tokens),
      cacheReadTokens: n(r.cache_read_tokens),
      reasoningTokens: n(r.reasoning_tokens),
      totalCostUsd: r.cost_usd,
      inputCostUsd: r.input_cost_usd,
      outputCostUsd: r.output_cost_usd,
      validated,
      validationPassRate: validated === 0 ? null : n(r.validation_passed) / validated,
      firstSeen: isoTime(r.first_seen),
      lastSeen: isoTime(r.last_seen),
      scores: scores.get(version) ?? [],
    };
  });
}

/** Options of {@link timeSeriesByVersion}. */
export interface TimeSeriesQuery extends WindowQuery {
  /** Bucket width in seconds (≥ 60). Whole hours/days read the aggregates (edges from generations); others read generations. */
  intervalSeconds: number;
}

/**
 * Per-version time series at a fixed interval (buckets aligned to the Unix epoch, UTC).
 *
 * @example
 * const points = await timeSeriesByVersion(client, { promptName: 'support-reply', from, to, intervalSeconds: 3600 });
 */
export async function timeSeriesByVersion(
  client: ClickHouseClient,
  q: TimeSeriesQuery,
): Promise<TimeSeriesPoint[]> {
  checkWindow(q);
  if (!Number.isInteger(q.intervalSeconds) || q.intervalSeconds < 60) {
    throw new Error('timeSeriesByVersion: intervalSeconds must be an integer ≥ 60');
  }
  const db = quoteIdent(q.database ?? 'default', 'database');
  const from = q.from.getTime();
  const to = q.to.getTime();
  const ms = q.intervalSeconds * 1000;
  // Aggregates answer a bucket exactly when buckets are whole hours (days) and the window is aligned.
  // Whole-hour intervals read whole hours from the hourly aggregates (whole days from the daily
  // ones when the interval is whole days) and the ragged window edges from generations; the pieces
  // of one bucket merge. Other intervals read generations.
  let segments: Segment[];
  if (ms % HOUR === 0) {
    segments = planSegments(from, to).map((s) =>
      s.source === '1d' && ms % DAY !== 0 ? { ...s, source: '1h' as const } : s,
    );
  } else segments = [{ source: 'raw', from, to }];
  const rows = (
    await mergedRows(client, db, q, ['prompt_version'], segments, {
      ms,
      expr: (col) => `toStartOfInterval(${col}, toIntervalSecond({interval:UInt32}))`,
      param: { interval: q.intervalSeconds },
    })
  ).sort((a, b) =>
    a.bucket === b.bucket
      ? n(a.prompt_version as number) - n(b.prompt_version as number)
      : String(a.bucket) < String(b.bucket)
        ? -1
        : 1,
  );
  return rows.map((r) => {
    const lat = quantiles(r.latency_h);
    return {
      bucket: isoTime(String(r.bucket)),
      version: n(r.prompt_version as number),
      requests: n(r.requests),
      errors: n(r.errors),
      latencyP50Ms: lat.p50,
      latencyP95Ms: lat.p95,
      latencyP99Ms: lat.p99,
      ttftP50Ms: n(r.ttft_count) === 0 ? null : quantiles(r.ttft_h).p50,
      totalTokens: n(r.input_tokens) + n(r.output_tokens),
      costUsd: r.cost_usd,
    };
  });
}

/**
 * Traffic share by label (and the version each label served) in a window.
 *
 * @example
 * const shares = await trafficShareByLabel(client, { promptName: 'support-reply', from, to });
 */
export async function trafficShareByLabel(client: ClickHouseClient, q: WindowQuery): Promise<LabelShare[]> {
  checkWindow(q);
  const db = quoteIdent(q.database ?? 'default', 'database');
  const rows = (
    await mergedRows(
      client,
      db,
      q,
      ['prompt_label', 'prompt_version'],
      planSegments(q.from.getTime(), q.to.getTime()),
    )
  )
    .map((r) => ({
      prompt_label: String(r.prompt_label),
      prompt_version: n(r.prompt_version as number),
      requests: n(r.requests),
    }))
    .sort((a, b) =>
      b.requests !== a.requests
        ? b.requests - a.requests
        : a.prompt_label !== b.prompt_label
          ? a.prompt_label < b.prompt_label
            ? -1
            : 1
          : a.prompt_version - b.prompt_version,
    );
  const total = rows.reduce((a, r) => a + n(r.requests), 0);
  return rows.map((r) => ({
    label: r.prompt_label,
    version: n(r.prompt_version),
    requests: n(r.requests),
    share: total === 0 ? 0 : n(r.requests) / total,
  }));
}

/**
 * When each label was first / last seen pointing at each version, from spans (not from the
 * registry's label moves), ordered by label then first sighting.
 */
export async function labelHistory(client: ClickHouseClient, q: PromptQuery): Promise<LabelHistoryEntry[]> {
  if (typeof q.promptName !== 'string' || q.promptName === '')
    throw new Error('query: promptName is required');
  const db = quoteIdent(q.database ?? 'default', 'database');
  const params: Record<string, unknown> = {};
  const filter = dimFilter({ ...q, model: undefined }, params);
  const sql = `SELECT prompt_label, prompt_version, environment, sum(requests) AS requests,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM ${db}.promptline_label_history
WHERE ${filter}
GROUP BY prompt_label, prompt_version, environment
ORDER BY prompt_label, first_seen, prompt_version`;
  const rows = await select<{
    prompt_label: string;
    prompt_version: number;
    environment: string;
    requests: number;
    first_seen: string;
    last_seen: string;
  }>(client, sql, params);
  return rows.map((r) => ({
    label: r.prompt_label,
    version: n(r.prompt_version),
    environment: r.environment,
    requests: n(r.requests),
    firstSeen: isoTime(r.first_seen),
    lastSeen: isoTime(r.last_seen),
  }));
}

/**
 * Score summaries per version for generations in a window: scores resolved at insert (hourly
 * aggregates for whole hours, the scores table for the edges) plus scores that arrived before
 * their span, resolved now by key lookup in `promptline_span_index`. Model filter is ignored.
 */
export async function scoresByVersion(
  client: ClickHouseClient,
  q: WindowQuery,
): Promise<Map<number, ScoreSummary[]>> {
  checkWindow(q);
  const db = quoteIdent(q.database ?? 'default', 'database');
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
  SELECT score_name, value, label, span_key FROM ${db}.promptline_scores
  WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
    AND timestamp >= {wf:DateTime64(3, 'UTC')}
) AS u
INNER JOIN ${db}.promptline_span_index AS s ON s.span_key = u.span_key
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
