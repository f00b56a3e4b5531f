import type { ClickHouseClient } from '@clickhouse/client';
import {
  HIST_TAG,
  histKey,
  histQuantiles,
  orderedHistQuantiles,
  orderedRunQuantiles,
} from '../schema/histogram.js';
import { STAT_COUNTS, STAT_SUMS, statsAggregateSql } from '../schema/statsLayout.js';
import type { StatFigureName } from '../schema/statsLayout.js';
import { HOUR } from './planSegments.js';
import type { Segment, Source } from './planSegments.js';
import { dimFilter } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { chTime, epochMs, n, select } from './select.js';

/**
 * The per-version figures of a window, merged: whole days and whole hours from
 * `promptline_version_stats` (daily and hourly rows of one table) and the sub-hour edges from
 * `promptline_generations`, their histograms merged, so the edges are exact rather than rounded to
 * buckets. Every window read (`metricsByVersion`, `timeSeriesByVersion`, `trafficShareByLabel`)
 * groups through {@link mergedRows}.
 *
 * @module
 */

const LEVELS = [0.5, 0.9, 0.95, 0.99] as const;

/** p50/p90/p95/p99 of one measure, from its merged histogram. */
export interface Percentiles {
  p50: number;
  p90: number;
  p95: number;
  p99: number;
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
  prefix = '',
): string {
  if (segments.length === 0) return '';
  const filter = dimFilter(q, params);
  // A source's ranges (head and tail edges) are OR-ed into one condition.
  const ranges = (source: Source, col: string, cast: (p: string) => string): string =>
    segments
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.source === source)
      .map(({ s, i }) => {
        params[`${prefix}f${i}`] = chTime(s.from);
        params[`${prefix}t${i}`] = chTime(s.to);
        return `(${col} >= ${cast(`{${prefix}f${i}:DateTime64(3, 'UTC')}`)} AND ${col} < ${cast(`{${prefix}t${i}:DateTime64(3, 'UTC')}`)})`;
      })
      .join(' OR ');
  const parts: string[] = [];
  if (segments.some((s) => s.source === 'raw')) {
    const ts = bucketExpr ? `, ${bucketExpr('g.timestamp')} AS ts` : '';
    parts.push(`SELECT ${keys.join(', ')}${ts}, ${statsAggregateSql()},
  max(toString(g.prompt_version_name)) AS version_name
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
    parts.push(`SELECT ${keys.join(', ')}${ts}, counts, sums, hist, first_seen, last_seen,
  prompt_version_name AS version_name
FROM ${db}.promptline_version_stats
WHERE ${filter} AND (${sized.join(' OR ')})`);
  }
  return parts.join('\nUNION ALL\n');
}

/**
 * The merged packed figures of a fold, with only the histograms `only` names (all by default): the
 * others' keys are dropped before the merge, which is most of a fold's work on long windows.
 * The merged histogram leaves as two arrays (Float64 counts: JSON numbers, exact below 2^53): a
 * JSON object of a few thousand keys cost ~2 ms per query to walk in JS.
 */
function mergedSql(only?: ReadonlySet<HistogramName>): string {
  let hist = 'hist';
  if (only !== undefined && only.size < HISTOGRAMS.length) {
    // Histogram m's tagged keys are [m·TAG − 32768, (m + 1)·TAG − 32768) (histogram.ts).
    const kept = HISTOGRAMS.map((h, m) => (only.has(h) ? m : -1)).filter((m) => m >= 0);
    const cond =
      kept.length === 0
        ? '0'
        : kept
            .map((m) => `(k >= ${m * HIST_TAG - 32768} AND k < ${(m + 1) * HIST_TAG - 32768})`)
            .join(' OR ');
    hist = `mapFilter((k, v) -> ${cond}, hist)`;
  }
  return `sumMap(counts) AS counts, sumMap(sums) AS sums, mapKeys(sumMap(${hist})) AS hist_keys,
  CAST(mapValues(sumMap(${hist})), 'Array(Float64)') AS hist_counts,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen, max(version_name) AS version_name`;
}

/** A merged packed row as the engine returns it (map keys as strings; 64-bit integers may be strings). */
interface MergedRow {
  counts: Record<string, string | number>;
  sums: Record<string, number>;
  hist_keys: number[];
  hist_counts: number[];
  first_seen: string;
  last_seen: string;
  /** `prompt_version_name` of the group's version (its display name; `''` on rows stored before it). */
  version_name: string;
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
} & {
  first_seen: string;
  last_seen: string;
  version_name: string;
  /**
   * The histograms of the one merged row a group was built from, as the engine returned them
   * (tagged keys ascending, counts), when its role asked for {@link MergeRole.packedHistograms}: the
   * histogram Maps are then empty. Read them with {@link groupHistLevels}; anything that adds to
   * the group unpacks them into the Maps first.
   */
  packedHist?: { keys: readonly number[]; counts: readonly number[] };
};

function newGroup(keys: readonly string[], r: Record<string, unknown>): Group {
  const g: Record<string, unknown> = { first_seen: '', last_seen: '', version_name: '' };
  for (const k of keys) g[k] = r[k];
  for (const f of COUNTERS) g[f] = 0;
  for (const f of HISTOGRAMS) g[f] = new Map<number, number>();
  return g as Group;
}

/**
 * Adds group `from`'s figures to `into` (counters summed, histograms merged, first/last seen
 * widened, the version's name kept when either has it).
 */
export function mergeGroup(into: Group, from: Group): void {
  unpack(into);
  for (const f of COUNTERS) into[f] += from[f];
  for (const h of HISTOGRAMS) for (const [k, c] of from[h]) addHist(into[h], k, c);
  // `from` is only read: its packed histograms go straight into `into`.
  if (from.packedHist !== undefined) addHistRun(into, from.packedHist.keys, from.packedHist.counts);
  if (from.first_seen !== '' && (into.first_seen === '' || from.first_seen < into.first_seen))
    into.first_seen = from.first_seen;
  if (from.last_seen > into.last_seen) into.last_seen = from.last_seen;
  if (from.version_name > into.version_name) into.version_name = from.version_name;
}

/** An empty group with the given key values. */
export function emptyGroup(keys: Record<string, unknown>): Group {
  return newGroup(Object.keys(keys), keys);
}

/**
 * Groups from rows in the merged packed shape (`counts, sums, hist_keys, hist_counts, first_seen,
 * last_seen`, see {@link MERGED_COLUMNS}) keyed by `keys`.
 */
export function foldPacked(rows: ReadonlyArray<Record<string, unknown>>, keys: readonly string[]): Group[] {
  const out = new Map<string, Group>();
  for (const r of rows) {
    const k = keys.map((key) => String(r[key])).join('\u0000');
    let g = out.get(k);
    if (!g) out.set(k, (g = newGroup(keys, r)));
    addRow(g, r as unknown as MergedRow);
  }
  return [...out.values()];
}

/**
 * The packed figures of `statsAggregateSql()` rows (a subquery's `counts, sums, hist, first_seen,
 * last_seen`) in the shape {@link foldPacked} reads.
 */
export const MERGED_COLUMNS = `counts, sums, mapKeys(hist) AS hist_keys, CAST(mapValues(hist), 'Array(Float64)') AS hist_counts,
  first_seen, last_seen`;

export function addHist(h: Hist, key: number, count: number): void {
  h.set(key, (h.get(key) ?? 0) + count);
}

function addRow(g: Group, r: MergedRow): void {
  unpack(g);
  addFigures(g, r);
  addHistRun(g, r.hist_keys, r.hist_counts);
}

/**
 * {@link addRow} for a role whose groups keep one merged row's histograms as they arrived
 * ({@link Group.packedHist}): the first row of a group is kept so, any later one unpacks it first.
 */
function addPackedRow(g: Group, r: MergedRow): void {
  const fresh =
    g.packedHist === undefined &&
    g.first_seen === '' &&
    g.latency_h.size + g.ttft_h.size + g.tokens_h.size + g.cost_h.size === 0;
  if (!fresh) return addRow(g, r);
  addFigures(g, r);
  g.packedHist = { keys: r.hist_keys, counts: r.hist_counts };
}

/** Moves a group's {@link Group.packedHist} into its histogram Maps (nothing when it has none). */
function unpack(g: Group): void {
  const p = g.packedHist;
  if (p === undefined) return;
  g.packedHist = undefined;
  addHistRun(g, p.keys, p.counts);
}

/** A merged row's counters, sums, first/last seen and version name, added to a group. */
function addFigures(g: Group, r: MergedRow): void {
  // No closures here or in addEdge: they run once per row.
  for (const k in r.counts) {
    const name = COUNTS[Number(k)];
    if (name !== undefined) g[name] += n(r.counts[k]);
  }
  for (const k in r.sums) {
    const name = SUMS[Number(k)];
    if (name !== undefined) g[name] += n(r.sums[k]);
  }
  if (r.first_seen !== '' && (g.first_seen === '' || r.first_seen < g.first_seen))
    g.first_seen = r.first_seen;
  if (r.last_seen !== '' && r.last_seen > g.last_seen) g.last_seen = r.last_seen;
  if (r.version_name > g.version_name) g.version_name = r.version_name;
}

/** Tagged histogram keys and their counts (one merged row's), added to a group's histogram Maps. */
function addHistRun(g: Group, keys: readonly number[], counts: readonly number[]): void {
  // Keys arrive sorted, so one histogram's keys are a run: untag (histUntag) once per run.
  let lo = 0;
  let hi = -Infinity;
  let h: Hist | undefined;
  for (let i = 0; i < keys.length; i++) {
    const tagged = keys[i] as number;
    if (tagged < lo || tagged >= hi) {
      const m = Math.floor((tagged + 32768) / HIST_TAG);
      lo = m * HIST_TAG - 32768;
      hi = lo + HIST_TAG;
      const name = HISTOGRAMS[m];
      h = name === undefined ? undefined : g[name];
    }
    if (h !== undefined) addHist(h, tagged - lo - 32768, counts[i] as number);
  }
}

/**
 * One raw-edge generation shaped like a merged row: empty packed figures, its timestamp as first and
 * last seen, and its values in `edge` (in the order {@link addEdge} reads them). Merged rows carry
 * an empty `edge`.
 */
const EDGE_AS_MERGED = `CAST(map(), 'Map(UInt8, UInt64)') AS counts, CAST(map(), 'Map(UInt8, Float64)') AS sums,
  CAST([], 'Array(Int32)') AS hist_keys, CAST([], 'Array(Float64)') AS hist_counts,
  timestamp AS first_seen, timestamp AS last_seen, toString(prompt_version_name) AS version_name,
  CAST([is_error, latency_ms, ttft_ms, input_tokens, output_tokens, cache_read_tokens, reasoning_tokens,
    cost_usd, input_cost_usd, output_cost_usd, validation_passed,
    cost_source = 'none' AND input_tokens + output_tokens > 0], 'Array(Nullable(Float64))') AS edge`;

type EdgeValue = string | number | null;

/**
 * Add one raw-edge generation (timestamp, `edge` values of {@link EDGE_AS_MERGED}) to a group: the JS twin of the
 * figures of statsLayout.ts (checked against the SQL fold by the ground-truth tests).
 */
function addEdge(g: Group, ts: string, e: readonly EdgeValue[], only?: ReadonlySet<HistogramName>): void {
  unpack(g);
  const [
    isError,
    latency,
    ttft,
    input,
    output,
    cacheRead,
    reasoning,
    cost,
    inCost,
    outCost,
    valid,
    unpriced,
  ] = e;
  const ok = n(isError) === 0;
  const inTok = n(input);
  const outTok = n(output);
  g.requests += 1;
  g.errors += n(isError);
  g.latency_ms_sum += n(latency);
  if (only === undefined || only.has('latency_h')) addHist(g.latency_h, histKey(n(latency)), 1);
  if (ttft !== null && ttft !== undefined) {
    g.ttft_count += 1;
    g.ttft_ms_sum += n(ttft);
    if (only === undefined || only.has('ttft_h')) addHist(g.ttft_h, histKey(n(ttft)), 1);
  }
  g.input_tokens += inTok;
  g.output_tokens += outTok;
  g.cache_read_tokens += n(cacheRead);
  g.reasoning_tokens += n(reasoning);
  g.cost_usd += n(cost);
  g.input_cost_usd += n(inCost);
  g.output_cost_usd += n(outCost);
  g.unpriced += n(unpriced);
  if (ok) {
    if (only === undefined || only.has('tokens_h')) addHist(g.tokens_h, histKey(inTok + outTok), 1);
    if (only === undefined || only.has('cost_h')) addHist(g.cost_h, histKey(n(cost)), 1);
  }
  if (valid !== null && valid !== undefined) {
    g.validated += 1;
    if (n(valid) === 1) g.validation_passed += 1;
  }
  if (g.first_seen === '' || ts < g.first_seen) g.first_seen = ts;
  if (ts > g.last_seen) g.last_seen = ts;
}

const RAW_EDGE_MAX = 2 * HOUR;
const RAW_EDGE_MAX_ROWS = 50_000;

/** A histogram of a {@link Group}, by its field name. */
export type HistogramName = (typeof HISTOGRAMS)[number];

/** An epoch-aligned `bucket` key: its width, its SQL (over a time column) and its parameters. */
export interface BucketKey {
  ms: number;
  expr: (col: string) => string;
  param: Record<string, unknown>;
}

/** One grouping of a window read by {@link mergedGroups}. */
export interface MergeRole {
  /** Group keys: columns of both `promptline_version_stats` and `promptline_generations`. */
  keys: string[];
  /** The pieces of the window and where each is read from (see planSegments.ts). */
  segments: Segment[];
  /** Adds an epoch-aligned `bucket` key (at most one bucketed role per read). */
  bucket?: BucketKey;
  /** Histograms read (default: all); the groups' other histograms stay empty. */
  histograms?: readonly HistogramName[];
  /**
   * A group that is one merged row (no raw edge folded in JS) keeps that row's histograms as they
   * arrived ({@link Group.packedHist}) instead of building Maps: for a reader that takes nothing
   * but percentiles of each group ({@link groupHistLevels}), as a time series does per point.
   */
  packedHistograms?: boolean;
}

/** The SQL default of a key column a role does not group by (every key but the version is a string). */
const keyDefault = (k: string): string => (k === 'prompt_version' ? 'toUInt32(0)' : "''");

/** Marks a raw-edge row among the roles' merged rows. */
const EDGE_ROLE = 255;

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
  bucket?: BucketKey,
): Promise<Group[]> {
  const [groups] = await mergedGroups(client, db, q, [{ keys, segments, ...(bucket ? { bucket } : {}) }]);
  return groups ?? [];
}

/**
 * {@link mergedRows} for several groupings of one window at once (say per version and label for a
 * table, per version and bucket for a chart): still ONE query, each role's aggregate rows merged
 * on its own keys, and the raw edges read once for every role that folds them in JS (each edge row
 * goes to every role whose raw segments hold its time). Returns the groups of each role, in order.
 */
export async function mergedGroups(
  client: ClickHouseClient,
  db: string,
  q: WindowQuery,
  roles: readonly MergeRole[],
): Promise<Group[][]> {
  const maxRows = q.rawEdgeMaxRows ?? RAW_EDGE_MAX_ROWS;
  if (!Number.isInteger(maxRows) || maxRows < 0)
    throw new QueryOptionsError('query: rawEdgeMaxRows must be an integer ≥ 0');
  if (roles.filter((r) => r.bucket !== undefined).length > 1)
    throw new Error('mergedGroups: at most one role may have a bucket key');
  const bucket = roles.find((r) => r.bucket !== undefined)?.bucket;
  const allKeys = [...new Set(roles.flatMap((r) => r.keys))];
  const plans = roles.map((role) => {
    const raw = role.segments.filter((s) => s.source === 'raw');
    const rawInJs = raw.reduce((a, s) => a + (s.to - s.from), 0) <= RAW_EDGE_MAX;
    const groupKeys = [...role.keys, ...(role.bucket ? ['bucket'] : [])];
    return {
      role,
      raw: rawInJs ? raw : [],
      sqlSegments: rawInJs ? role.segments.filter((s) => s.source !== 'raw') : role.segments,
      groupKeys,
      only: role.histograms === undefined ? undefined : new Set(role.histograms),
      packed: role.packedHistograms === true,
      groups: new Map<string, Group>(),
    };
  });
  type Plan = (typeof plans)[number];
  const group = (plan: Plan, r: Record<string, unknown>): Group => {
    const k = plan.groupKeys.map((key) => String(r[key])).join('\u0000');
    let g = plan.groups.get(k);
    if (!g) plan.groups.set(k, (g = newGroup(plan.groupKeys, r)));
    return g;
  };
  // Every branch has the same columns: role, bucket (when any role has one), every role's keys
  // (a constant where the role does not group by it), the merged figures, the edge values.
  const bucketCol = (has: boolean): string =>
    bucket === undefined
      ? ''
      : has
        ? "toDateTime(ts, 'UTC') AS bucket, "
        : "toDateTime(0, 'UTC') AS bucket, ";
  const foldSql = (i: number, parts: Segment[], params: Record<string, unknown>): string => {
    const { role, only } = plans[i]!;
    const union = statesUnion(db, q, params, role.keys, parts, role.bucket?.expr, `r${i}`);
    const cols = allKeys.map((k) => (role.keys.includes(k) ? k : `${keyDefault(k)} AS ${k}`));
    return `SELECT ${i} AS role, ${bucketCol(role.bucket !== undefined)}${cols.join(', ')}, ${mergedSql(only)},
  CAST([], 'Array(Nullable(Float64))') AS edge
FROM (${union})
GROUP BY ${[...role.keys, ...(role.bucket ? ['ts'] : [])].join(', ')}`;
  };
  const params: Record<string, unknown> = { ...(bucket?.param ?? {}) };
  const branches: string[] = [];
  plans.forEach((p, i) => {
    if (p.sqlSegments.length > 0) branches.push(foldSql(i, p.sqlSegments, params));
  });
  // The raw edges of every role folded in JS, each distinct range read once.
  const edgeRanges = [
    ...new Map(plans.flatMap((p) => p.raw).map((s) => [`${s.from}-${s.to}`, s] as const)).values(),
  ];
  if (edgeRanges.length > 0) {
    params.rawLimit = maxRows + 1;
    const filter = dimFilter(q, params);
    // The hour condition lets the primary key (…, toStartOfHour(timestamp), timestamp) skip to the edge.
    const ranges = edgeRanges
      .map((s, i) => {
        params[`rf${i}`] = chTime(s.from);
        params[`rt${i}`] = chTime(s.to);
        return `(toStartOfHour(timestamp) >= toStartOfHour({rf${i}:DateTime64(3, 'UTC')})
    AND toStartOfHour(timestamp) <= toStartOfHour({rt${i}:DateTime64(3, 'UTC')})
    AND timestamp >= {rf${i}:DateTime64(3, 'UTC')} AND timestamp < {rt${i}:DateTime64(3, 'UTC')})`;
      })
      .join(' OR ');
    const ts = bucket ? `toDateTime(${bucket.expr('timestamp')}, 'UTC') AS bucket, ` : '';
    branches.push(`SELECT ${EDGE_ROLE} AS role, ${ts}${allKeys.join(', ')}, ${EDGE_AS_MERGED}
FROM ${db}.promptline_generations
WHERE ${filter} AND prompt_version > 0 AND (${ranges})
LIMIT {rawLimit:UInt64}`);
  }
  const rows =
    branches.length === 0
      ? []
      : await select<Keyed & { role: number }>(client, branches.join('\nUNION ALL\n'), params);
  const edgeRows: Array<Keyed & { role: number }> = [];
  for (const r of rows) {
    const plan = plans[r.role];
    if (plan === undefined) edgeRows.push(r);
    else if (plan.packed && plan.raw.length === 0) addPackedRow(group(plan, r), r);
    else addRow(group(plan, r), r);
  }
  const inJs = plans.filter((p) => p.raw.length > 0);
  if (edgeRows.length > maxRows) {
    // A busy edge: drop its rows and fold it in SQL instead.
    const p: Record<string, unknown> = { ...(bucket?.param ?? {}) };
    const sql = inJs.map((plan) => foldSql(plans.indexOf(plan), plan.raw, p)).join('\nUNION ALL\n');
    for (const r of await select<Keyed & { role: number }>(client, sql, p)) {
      const plan = plans[r.role];
      if (plan !== undefined) addRow(group(plan, r), r);
    }
  } else {
    for (const r of edgeRows) {
      const t = epochMs(r.first_seen);
      for (const plan of inJs)
        if (plan.raw.some((s) => t >= s.from && t < s.to)) {
          const g = group(plan, r);
          addEdge(g, r.first_seen, r.edge, plan.only);
          if (r.version_name > g.version_name) g.version_name = r.version_name;
        }
    }
  }
  return plans.map((p) => [...p.groups.values()]);
}

// Merged as Map(Int16, UInt64) (measured ~2x faster than sumMap over the stored key/count tuple),
// so it arrives as a JSON object of key -> count; groups hold it as a Map.
export type HistObject = Record<string, number | string>;
export type Hist = Map<number, number>;

export function histLevels(h: Hist | HistObject, levels: readonly number[]): Array<number | null> {
  if (h instanceof Map)
    return orderedHistQuantiles(h, levels) ?? histQuantiles([...h.keys()], [...h.values()], levels);
  const keys = Object.keys(h);
  return histQuantiles(
    keys.map(Number),
    keys.map((k) => h[k] ?? 0),
    levels,
  );
}

/**
 * {@link histLevels} of histogram `name` of a group, whether it holds it in a Map or packed as its
 * one merged row arrived ({@link Group.packedHist}: read in place, in key order).
 */
export function groupHistLevels(
  g: Group,
  name: HistogramName,
  levels: readonly number[],
): Array<number | null> {
  const p = g.packedHist;
  if (p === undefined) return histLevels(g[name], levels);
  // Histogram m's tagged keys are the run [m·TAG − 32768, (m + 1)·TAG − 32768) (histogram.ts).
  const m = HISTOGRAMS.indexOf(name);
  const lo = m * HIST_TAG - 32768;
  let start = 0;
  while (start < p.keys.length && (p.keys[start] as number) < lo) start++;
  let end = start;
  while (end < p.keys.length && (p.keys[end] as number) < lo + HIST_TAG) end++;
  const offset = m * HIST_TAG;
  return (
    orderedRunQuantiles(p.keys, p.counts, start, end, offset, levels) ??
    histQuantiles(
      p.keys.slice(start, end).map((k) => k - offset),
      p.counts.slice(start, end),
      levels,
    )
  );
}

export function quantiles(h: Hist): Percentiles {
  const q = histLevels(h, LEVELS);
  return { p50: n(q[0]), p90: n(q[1]), p95: n(q[2]), p99: n(q[3]) };
}
