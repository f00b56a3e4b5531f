import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_PROJECT, dimFilter, queryDatabase } from './PromptQuery.js';
import type { AnyPromptQuery } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { checkQueryWindow } from './queryWindow.js';
import { COUNTERS, HISTOGRAMS, addHist, mergedRows, quantiles } from './mergedRows.js';
import type { Group } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import type { Segment } from './planSegments.js';
import { chTime, isoTime, n, select } from './select.js';
import { versionName } from '../schema/promptVersion.js';

/**
 * Every prompt of a project in one window, with the figures the console's prompt list shows and a
 * per-bucket request count for a sparkline: one read of the aggregates (and the raw window edges),
 * as the per-version queries do.
 *
 * @module
 */

/** Options of {@link promptOverview}. */
export interface PromptOverviewQuery {
  /** Project id. Default `default`. */
  projectId?: string;
  /** Database. Default `default`. */
  database?: string;
  from: Date;
  to: Date;
  /** Only this environment. Default: all. */
  environment?: string;
  /** Sparkline bucket width in seconds: a whole number of hours. Default 3600. */
  sparklineIntervalSeconds?: number;
}

/** One prompt's figures in the window, over all of its versions. */
export interface PromptSummary {
  name: string;
  requests: number;
  errors: number;
  /** errors / requests. */
  errorRate: number;
  /** p95 latency (ms) over every generation of every version. */
  latencyP95Ms: number;
  totalCostUsd: number;
  /** ISO-8601 UTC of the last generation in the window. */
  lastSeen: string;
  /** Request count per bucket (bucket start ISO-8601 UTC), oldest first, empty buckets as 0. */
  sparkline: Array<{ bucket: string; requests: number }>;
  /**
   * The version of the prompt's last call in the window, as stored and as sent (`3`, `2.1.0`,
   * `#a1b2c3d4`): what the prompt served most recently, registry or not. `null` when unknown.
   */
  lastVersion: { version: number; versionName: string } | null;
  /** Each label seen on calls in the window, with the version of its last call. */
  labelsSeen: Record<string, { version: number; versionName: string }>;
}

/**
 * Per prompt and label, the version of the last call in the window (from the hourly aggregates'
 * `last_seen`: rows of the window's hours whose last call falls inside it). Label `''`: calls
 * without a label.
 */
async function versionsSeen(
  client: ClickHouseClient,
  db: string,
  q: AnyPromptQuery,
): Promise<Map<string, Array<{ label: string; version: number; name: string; last: string }>>> {
  const params: Record<string, unknown> = {
    hf: chTime(Math.floor(q.from.getTime() / 3_600_000) * 3_600_000),
    from: chTime(q.from.getTime()),
    to: chTime(q.to.getTime()),
  };
  const filter = dimFilter(q, params);
  const rows = await select<{
    prompt_name: string;
    prompt_label: string;
    version: number | string;
    version_name: string;
    last: string;
  }>(
    client,
    `SELECT prompt_name, prompt_label, argMax(prompt_version, last_seen) AS version,
  argMax(prompt_version_name, last_seen) AS version_name, max(last_seen) AS last
FROM ${db}.promptline_version_stats
WHERE ${filter} AND bucket_seconds = 3600
  AND bucket >= toDateTime({hf:DateTime64(3, 'UTC')}) AND bucket < toDateTime({to:DateTime64(3, 'UTC')})
  AND last_seen >= {from:DateTime64(3, 'UTC')} AND last_seen < {to:DateTime64(3, 'UTC')}
GROUP BY prompt_name, prompt_label`,
    params,
  );
  const out = new Map<string, Array<{ label: string; version: number; name: string; last: string }>>();
  for (const r of rows) {
    const list = out.get(r.prompt_name) ?? [];
    list.push({
      label: r.prompt_label,
      version: n(r.version),
      name: versionName(n(r.version), r.version_name),
      last: r.last,
    });
    out.set(r.prompt_name, list);
  }
  return out;
}

const HOUR_S = 3600;

function mergeInto(into: Group, from: Group): void {
  for (const f of COUNTERS) into[f] += from[f];
  for (const h of HISTOGRAMS) for (const [k, c] of from[h]) addHist(into[h], k, c);
  if (from.first_seen !== '' && (into.first_seen === '' || from.first_seen < into.first_seen))
    into.first_seen = from.first_seen;
  if (from.last_seen > into.last_seen) into.last_seen = from.last_seen;
}

function emptyGroup(name: string): Group {
  const g: Record<string, unknown> = { prompt_name: name, first_seen: '', last_seen: '' };
  for (const f of COUNTERS) g[f] = 0;
  for (const h of HISTOGRAMS) g[h] = new Map<number, number>();
  return g as Group;
}

/**
 * Figures per prompt over all versions in `[from, to)`, busiest prompt first. Only generations linked
 * to a version count (as in every per-version query).
 *
 * @example
 * const prompts = await promptOverview(client, { from: new Date(Date.now() - 86_400_000), to: new Date() });
 */
export async function promptOverview(
  client: ClickHouseClient,
  q: PromptOverviewQuery,
): Promise<PromptSummary[]> {
  checkQueryWindow('query window', q.from, q.to);
  const interval = q.sparklineIntervalSeconds ?? HOUR_S;
  if (!Number.isInteger(interval) || interval < HOUR_S || interval % HOUR_S !== 0)
    throw new QueryOptionsError('promptOverview: sparklineIntervalSeconds must be a whole number of hours');
  const db = queryDatabase(q);
  const from = q.from.getTime();
  const to = q.to.getTime();
  const ms = interval * 1000;
  // Whole days only when the bucket is whole days; otherwise hours (as timeSeriesByVersion).
  const segments: Segment[] = planSegments(from, to).map((s) =>
    s.source === '1d' && ms % 86_400_000 !== 0 ? { ...s, source: '1h' as const } : s,
  );
  const query: AnyPromptQuery = {
    promptName: '',
    anyPrompt: true,
    projectId: q.projectId ?? DEFAULT_PROJECT,
    from: q.from,
    to: q.to,
    ...(q.environment === undefined ? {} : { environment: q.environment }),
  };
  const [rows, seen] = await Promise.all([
    mergedRows(client, db, query, ['prompt_name'], segments, {
      ms,
      expr: (col) => `toStartOfInterval(${col}, toIntervalSecond({interval:UInt32}))`,
      param: { interval },
    }),
    versionsSeen(client, db, query),
  ]);
  const first = Math.floor(from / ms) * ms;
  const buckets: number[] = [];
  for (let t = first; t < to; t += ms) buckets.push(t);
  const byPrompt = new Map<string, { total: Group; perBucket: Map<number, number> }>();
  for (const r of rows) {
    const name = String(r.prompt_name);
    let p = byPrompt.get(name);
    if (p === undefined) byPrompt.set(name, (p = { total: emptyGroup(name), perBucket: new Map() }));
    mergeInto(p.total, r);
    const t = Date.parse(isoTime(String(r.bucket)));
    p.perBucket.set(t, (p.perBucket.get(t) ?? 0) + n(r.requests));
  }
  return [...byPrompt.entries()]
    .map(([name, { total, perBucket }]) => {
      const requests = n(total.requests);
      const errors = n(total.errors);
      const labels = seen.get(name) ?? [];
      const last = labels.reduce<(typeof labels)[number] | undefined>(
        (a, l) => (a === undefined || l.last > a.last ? l : a),
        undefined,
      );
      return {
        name,
        requests,
        errors,
        errorRate: requests === 0 ? 0 : errors / requests,
        latencyP95Ms: quantiles(total.latency_h).p95,
        totalCostUsd: total.cost_usd,
        lastSeen: isoTime(total.last_seen),
        sparkline: buckets.map((b) => ({
          bucket: new Date(b).toISOString(),
          requests: perBucket.get(b) ?? 0,
        })),
        lastVersion: last === undefined ? null : { version: last.version, versionName: last.name },
        labelsSeen: Object.fromEntries(
          labels
            .filter((l) => l.label !== '')
            .sort((a, b) => (a.label < b.label ? -1 : 1))
            .map((l) => [l.label, { version: l.version, versionName: l.name }]),
        ),
      };
    })
    .sort((a, b) => b.requests - a.requests || (a.name < b.name ? -1 : 1));
}

/** Options of {@link promptDimensions}. */
export interface PromptDimensionsQuery {
  projectId?: string;
  database?: string;
  /** Only this prompt. Default: every prompt of the project. */
  promptName?: string;
  from: Date;
  to: Date;
}

/** Environments, labels, models and versions seen in a window (for filters). */
export interface PromptDimensions {
  prompts: string[];
  environments: string[];
  labels: string[];
  models: string[];
  versions: number[];
}

/**
 * The distinct environments, labels, models, versions (and prompt names) that generations carried in
 * `[from, to)`, read from the hourly aggregates (whole hours covering the window).
 */
export async function promptDimensions(
  client: ClickHouseClient,
  q: PromptDimensionsQuery,
): Promise<PromptDimensions> {
  checkQueryWindow('query window', q.from, q.to);
  const db = queryDatabase(q);
  const params: Record<string, unknown> = {
    project: q.projectId ?? DEFAULT_PROJECT,
    from: chTime(Math.floor(q.from.getTime() / 3_600_000) * 3_600_000),
    to: chTime(q.to.getTime()),
  };
  let prompt = '';
  if (q.promptName !== undefined) {
    params.prompt = q.promptName;
    prompt = ' AND prompt_name = {prompt:String}';
  }
  const rows = await select<{
    prompts: string[];
    environments: string[];
    labels: string[];
    models: string[];
    versions: Array<number | string>;
  }>(
    client,
    `SELECT groupUniqArray(1000)(prompt_name) AS prompts, groupUniqArray(1000)(environment) AS environments,
  groupUniqArray(1000)(prompt_label) AS labels, groupUniqArray(1000)(model) AS models,
  groupUniqArray(1000)(prompt_version) AS versions
FROM ${db}.promptline_version_stats
WHERE project_id = {project:String}${prompt} AND bucket_seconds = 3600
  AND bucket >= toDateTime({from:DateTime64(3, 'UTC')}) AND bucket < toDateTime({to:DateTime64(3, 'UTC')})`,
    params,
  );
  const r = rows[0];
  const sorted = (xs: string[] | undefined): string[] => [...(xs ?? [])].sort();
  return {
    prompts: sorted(r?.prompts),
    environments: sorted(r?.environments),
    labels: sorted(r?.labels),
    models: sorted(r?.models),
    versions: (r?.versions ?? []).map(Number).sort((a, b) => a - b),
  };
}
