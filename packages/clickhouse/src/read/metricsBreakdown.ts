import type { ClickHouseClient } from '@clickhouse/client';
import { statsAggregateSql } from '../schema/statsLayout.js';
import { emptyGroup, foldPacked, MERGED_COLUMNS, mergedRows, mergeGroup } from './mergedRows.js';
import type { Group } from './mergedRows.js';
import { toVersionMetrics } from './metricsByVersion.js';
import type { VersionMetrics } from './metricsByVersion.js';
import { planSegments } from './planSegments.js';
import { checkWindow, dimFilter, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { chTime, n, select } from './select.js';

/**
 * Per-version figures broken down by a dimension — a column the aggregates keep, a column of the
 * generations table, or any span or resource attribute — bounded to the `top` values with the most
 * generations in the window; the other values are pooled.
 *
 * Cost, by where the dimension lives:
 * - `model`, `environment`, `label`: the per-version aggregates (whole hours and days) plus the
 *   window's raw edges, as `metricsByVersion` — as cheap as the metrics themselves;
 * - `provider`, `service`, `experiment`, `arm`, `error_type`: one scan of the prompt's
 *   generations in the window (`promptline_generations`, a few narrow columns);
 * - anything else is an attribute key: the span attribute of that name, else the resource
 *   attribute. It is read from `otel_traces` (the spans of the window's days, their attribute maps,
 *   narrowed to the prompt's generations by trace id) and joined to the generations, so the window
 *   is limited to {@link MAX_ATTRIBUTE_WINDOW_MS}.
 *
 * @module
 */

/** Dimensions kept by the aggregates → their column. */
const AGGREGATE_DIMENSIONS: Record<string, string> = {
  model: 'model',
  environment: 'environment',
  label: 'prompt_label',
};
/** Dimensions that are columns of `promptline_generations` → their column. */
const GENERATION_DIMENSIONS: Record<string, string> = {
  provider: 'provider',
  service: 'service_name',
  experiment: 'experiment_name',
  arm: 'experiment_arm',
  error_type: 'error_type',
};
/** Named dimensions (anything else is an attribute key). */
export const BREAKDOWN_DIMENSIONS = [
  ...Object.keys(AGGREGATE_DIMENSIONS),
  ...Object.keys(GENERATION_DIMENSIONS),
] as const;

/** Longest window of an attribute breakdown (it reads spans): 7 days. */
export const MAX_ATTRIBUTE_WINDOW_MS = 7 * 86_400_000;
/** Default and largest number of values listed. */
export const DEFAULT_BREAKDOWN_TOP = 10;
export const MAX_BREAKDOWN_TOP = 100;
/** Longest attribute key accepted. */
const MAX_KEY_LENGTH = 256;

/** Options of {@link metricsBreakdown}. */
export interface MetricsBreakdownQuery extends WindowQuery {
  /**
   * `model`, `environment`, `label`, `provider`, `service`, `experiment`, `arm`, `error_type`, or
   * an attribute key (e.g. `app.document_type`: the span attribute, else the resource attribute).
   */
  by: string;
  /** Values listed (most generations first); the rest are pooled in `other`. Default 10, at most 100. */
  top?: number;
}

/** The per-version figures of one value. */
export interface BreakdownValue {
  /** The value (`''`: generations without it, e.g. spans without the attribute). */
  value: string;
  /** Generations with this value in the window (all versions). */
  requests: number;
  /** Newest version first; scores are not broken down (empty). */
  versions: VersionMetrics[];
}

/** Result of {@link metricsBreakdown}. */
export interface MetricsBreakdown {
  by: string;
  /** Where the dimension was read: `aggregates`, `generations` or `spans` (see the module comment). */
  source: 'aggregates' | 'generations' | 'spans';
  /** The `top` values with the most generations (ties by value). */
  values: BreakdownValue[];
  /** The other values pooled; `null` when there were no more than `top`. */
  other: { values: number; requests: number; versions: VersionMetrics[] } | null;
}

function checkBreakdown(q: MetricsBreakdownQuery): number {
  checkWindow(q);
  if (typeof q.by !== 'string' || q.by === '' || q.by.length > MAX_KEY_LENGTH)
    throw new QueryOptionsError(
      `breakdown: by must name a dimension or an attribute key (1–${MAX_KEY_LENGTH} characters)`,
    );
  const top = q.top ?? DEFAULT_BREAKDOWN_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_BREAKDOWN_TOP)
    throw new QueryOptionsError(
      `breakdown: top must be an integer from 1 to ${MAX_BREAKDOWN_TOP} (got ${top})`,
    );
  return top;
}

/** Per-(version, value) groups of an attribute, from the spans joined to the generations. */
async function attributeGroups(
  client: ClickHouseClient,
  db: string,
  q: MetricsBreakdownQuery,
): Promise<Group[]> {
  if (q.to.getTime() - q.from.getTime() > MAX_ATTRIBUTE_WINDOW_MS)
    throw new QueryOptionsError(
      `breakdown: a breakdown by an attribute (${q.by}) reads spans; its window is at most 7 days`,
    );
  const params: Record<string, unknown> = {
    key: q.by,
    wf: chTime(q.from.getTime()),
    wt: chTime(q.to.getTime()),
  };
  const filter = dimFilter(q, params);
  const window = `timestamp >= {wf:DateTime64(3, 'UTC')} AND timestamp < {wt:DateTime64(3, 'UTC')}`;
  const sql = `SELECT prompt_version, value, ${MERGED_COLUMNS}, version_name, CAST([], 'Array(Nullable(Float64))') AS edge
FROM (
  SELECT g.prompt_version AS prompt_version, a.value AS value, ${statsAggregateSql()},
    max(toString(g.prompt_version_name)) AS version_name
  FROM ${db}.promptline_generations AS g
  LEFT ANY JOIN (
    SELECT TraceId, SpanId,
      if(SpanAttributes[{key:String}] != '', SpanAttributes[{key:String}], ResourceAttributes[{key:String}]) AS value
    FROM ${db}.otel_traces
    WHERE Timestamp >= {wf:DateTime64(3, 'UTC')} AND Timestamp < {wt:DateTime64(3, 'UTC')}
      AND TraceId IN (SELECT trace_id FROM ${db}.promptline_generations WHERE ${filter} AND prompt_version > 0 AND ${window})
  ) AS a ON a.TraceId = g.trace_id AND a.SpanId = g.span_id
  WHERE ${filter} AND g.prompt_version > 0 AND ${window}
  GROUP BY prompt_version, value
)`;
  return foldPacked(await select<Record<string, unknown>>(client, sql, params), ['prompt_version', 'value']);
}

/**
 * Per-version figures of a prompt for each value of a dimension (see the module comment).
 *
 * @example
 * const b = await metricsBreakdown(client, { promptName: 'support-reply', by: 'app.document_type', from, to });
 * b.values[0]; // { value: 'invoice', requests: 812, versions: [{ version: 3, latencyMs: …, errorRate: … }, …] }
 */
export async function metricsBreakdown(
  client: ClickHouseClient,
  q: MetricsBreakdownQuery,
): Promise<MetricsBreakdown> {
  const top = checkBreakdown(q);
  const db = queryDatabase(q);
  let groups: Group[];
  let source: MetricsBreakdown['source'];
  const column = AGGREGATE_DIMENSIONS[q.by] ?? GENERATION_DIMENSIONS[q.by];
  if (AGGREGATE_DIMENSIONS[q.by] !== undefined) {
    source = 'aggregates';
    groups = await mergedRows(
      client,
      db,
      q,
      ['prompt_version', column!],
      planSegments(q.from.getTime(), q.to.getTime()),
    );
  } else if (column !== undefined) {
    source = 'generations';
    groups = await mergedRows(
      client,
      db,
      q,
      ['prompt_version', column],
      [{ source: 'raw', from: q.from.getTime(), to: q.to.getTime() }],
    );
  } else {
    source = 'spans';
    groups = await attributeGroups(client, db, q);
  }
  const key = column ?? 'value';
  const byValue = new Map<string, Group[]>();
  for (const g of groups) {
    const value = String(g[key] ?? '');
    byValue.set(value, [...(byValue.get(value) ?? []), g]);
  }
  const requests = (gs: Group[]): number => gs.reduce((a, g) => a + n(g.requests), 0);
  const ranked = [...byValue].sort(
    (a, b) => requests(b[1]) - requests(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0),
  );
  const versions = (gs: Group[]): VersionMetrics[] =>
    gs
      .map((g) => toVersionMetrics(g, n(g.prompt_version as number), []))
      .sort((a, b) => b.version - a.version);
  const values = ranked
    .slice(0, top)
    .map(([value, gs]) => ({ value, requests: requests(gs), versions: versions(gs) }));
  const rest = ranked.slice(top);
  let other: MetricsBreakdown['other'] = null;
  if (rest.length > 0) {
    const pooled = new Map<number, Group>();
    for (const [, gs] of rest) {
      for (const g of gs) {
        const v = n(g.prompt_version as number);
        let into = pooled.get(v);
        if (into === undefined) pooled.set(v, (into = emptyGroup({ prompt_version: v })));
        mergeGroup(into, g);
      }
    }
    const all = [...pooled.values()];
    other = { values: rest.length, requests: requests(all), versions: versions(all) };
  }
  return { by: q.by, source, values, other };
}
