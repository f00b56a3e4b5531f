import type { ClickHouseClient } from '@clickhouse/client';
import { checkPrompt, DEFAULT_PROJECT, queryDatabase } from '../read/PromptQuery.js';
import type { WindowQuery } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { checkQueryWindow } from '../read/queryWindow.js';
import { chTime, epochMs } from '../read/select.js';
import { compareSides } from './compareSides.js';
import type { MetricComparison } from './compareSides.js';
import { resolveCompareOptions } from './compareVersions.js';
import { readSide } from './versionSample.js';
import { versionName } from '../schema/promptVersion.js';
import type { SideQuery } from './versionSample.js';

/**
 * Regression detection around label moves: when a label starts serving a new version, the new
 * version's traffic right after the move is compared with the old version's traffic right before
 * it, over two windows of equal length.
 *
 * @module
 */

/** Default longest before/after window: 24 hours. */
export const DEFAULT_MOVE_WINDOW_MS = 86_400_000;
/** Default cap on moves examined (the most recent ones). */
export const DEFAULT_MAX_MOVES = 20;
/** Upper bounds of `maxWindowMs` (30 days) and `maxMoves` (each move costs 8 queries). */
export const MAX_MOVE_WINDOW_MS = 30 * 86_400_000;
export const MAX_MAX_MOVES = 200;
/** Cap on (environment, minute, version) rows read to find moves. */
const MAX_TIMELINE_ROWS = 500_000;

/** Options of {@link detectRegressions}. */
export interface DetectRegressionsQuery extends Omit<WindowQuery, 'model' | 'rawEdgeMaxRows' | 'label'> {
  /** The label whose moves are examined, e.g. `production`. Moves that happened in `[from, to)` are examined. */
  label: string;
  /** Only this environment. Default: every environment, each on its own. */
  environment?: string;
  /** Minimum values per side for a metric to be tested. Default 20. */
  minSamples?: number;
  /** Family-wise significance level per move (Holm–Bonferroni). Default 0.05. */
  alpha?: number;
  /** Values read per side and per sampled metric. Default 5000. */
  sampleLimit?: number;
  /** Longest before / after window in ms. Default 24 h. */
  maxWindowMs?: number;
  /** Most recent moves examined. Default 20. */
  maxMoves?: number;
}

/** One label move and what changed across it. */
export interface LabelMove {
  environment: string;
  /** First generation of the new version under the label (ISO-8601 UTC). */
  at: string;
  /** Stored version numbers before and after the move (see `VersionMetrics.version`). */
  fromVersion: number;
  toVersion: number;
  /** The versions as shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  fromVersionName: string;
  toVersionName: string;
  /** `[start, at)` for the old version and `[at, end)` for the new one, equal lengths. */
  before: { from: string; to: string; generations: number };
  after: { from: string; to: string; generations: number };
  metrics: MetricComparison[];
  /** Metrics whose verdict is `worse` (after Holm). */
  regressions: string[];
}

/** Result of {@link detectRegressions}. */
export interface RegressionReport {
  prompt: string;
  label: string;
  from: string;
  to: string;
  alpha: number;
  minSamples: number;
  sampleLimit: number;
  /** Moves found in the window (all, before the `maxMoves` cap). */
  movesFound: number;
  /** Examined moves, oldest first. */
  moves: LabelMove[];
}

interface Run {
  environment: string;
  version: number;
  versionName: string;
  /** Start of the run's first minute. */
  start: number;
  /** First generation of the version in that minute. */
  first: number;
}

/**
 * Per environment, the label's timeline at minute resolution, collapsed into runs of the version
 * that served most of each minute's traffic under the label.
 */
async function readRuns(
  client: ClickHouseClient,
  db: string,
  q: DetectRegressionsQuery,
  lookFrom: number,
): Promise<Run[]> {
  const params: Record<string, unknown> = {
    project: q.projectId ?? DEFAULT_PROJECT,
    prompt: q.promptName,
    label: q.label,
    from: chTime(lookFrom),
    to: chTime(q.to.getTime()),
    maxRows: MAX_TIMELINE_ROWS,
  };
  let env = '';
  if (q.environment !== undefined) {
    params.environment = q.environment;
    env = ' AND environment = {environment:String}';
  }
  const rs = await client.query({
    query: `SELECT toString(environment) AS environment, toStartOfMinute(timestamp) AS minute, prompt_version,
  count() AS n, min(timestamp) AS first, max(toString(prompt_version_name)) AS version_name
FROM ${db}.promptline_generations
WHERE project_id = {project:String} AND prompt_name = {prompt:String} AND prompt_label = {label:String}
  AND prompt_version > 0${env}
  AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
GROUP BY environment, minute, prompt_version
ORDER BY environment, minute, n DESC, prompt_version
LIMIT {maxRows:UInt32}`,
    format: 'JSONEachRow',
    query_params: params,
  });
  const rows = await rs.json<{
    environment: string;
    minute: string;
    prompt_version: number | string;
    version_name: string;
    first: string;
  }>();
  const runs: Run[] = [];
  let lastKey = '';
  for (const r of rows) {
    const key = `${r.environment}\u0000${r.minute}`;
    if (key === lastKey) continue; // not the dominant version of this minute
    lastKey = key;
    const version = Number(r.prompt_version);
    const prev = runs[runs.length - 1];
    if (prev !== undefined && prev.environment === r.environment && prev.version === version) continue;
    runs.push({
      environment: r.environment,
      version,
      versionName: versionName(version, r.version_name),
      start: epochMs(r.minute),
      first: epochMs(r.first),
    });
  }
  return runs;
}

/**
 * Finds every move of `label` in the window (from spans: the minute at which another version
 * became the label's dominant version), and compares the new version right after the move with the
 * old one right before it: both windows have the length min(maxWindowMs, time since the previous
 * move, time until the next move or `to`). Metrics and tests are those of compareVersions; a
 * regression is a metric whose Holm-adjusted verdict is `worse`.
 *
 * @example
 * const report = await detectRegressions(client, {
 *   promptName: 'support-reply', label: 'production', from: new Date(Date.now() - 7 * 86_400_000), to: new Date(),
 * });
 * const regressed = report.moves.filter((move) => move.regressions.length > 0); // e.g. v2 → v3: latency, score
 */
export async function detectRegressions(
  client: ClickHouseClient,
  q: DetectRegressionsQuery,
): Promise<RegressionReport> {
  checkPrompt(q, 'regressions');
  if (typeof q.label !== 'string' || q.label === '')
    throw new QueryOptionsError('regressions: label is required');
  checkQueryWindow('regressions', q.from, q.to);
  const opts = resolveCompareOptions(q);
  const maxWindow = q.maxWindowMs ?? DEFAULT_MOVE_WINDOW_MS;
  const maxMoves = q.maxMoves ?? DEFAULT_MAX_MOVES;
  if (!(maxWindow >= 60_000 && maxWindow <= MAX_MOVE_WINDOW_MS))
    throw new QueryOptionsError(`regressions: maxWindowMs must be from 60000 to ${MAX_MOVE_WINDOW_MS}`);
  if (!Number.isInteger(maxMoves) || maxMoves < 1 || maxMoves > MAX_MAX_MOVES)
    throw new QueryOptionsError(`regressions: maxMoves must be an integer from 1 to ${MAX_MAX_MOVES}`);
  const db = queryDatabase(q);
  const from = q.from.getTime();
  const to = q.to.getTime();
  const runs = await readRuns(client, db, q, from - maxWindow);

  const found: Array<{ prev: Run; run: Run; end: number }> = [];
  runs.forEach((run, i) => {
    const prev = runs[i - 1];
    if (prev === undefined || prev.environment !== run.environment) return;
    if (run.first < from || run.first >= to) return;
    const next = runs[i + 1];
    const end = next !== undefined && next.environment === run.environment ? next.start : to;
    found.push({ prev, run, end });
  });
  found.sort((a, b) => a.run.first - b.run.first || a.run.environment.localeCompare(b.run.environment));
  const examined = found.slice(-maxMoves);

  const moves: LabelMove[] = [];
  for (const { prev, run, end } of examined) {
    const at = run.first;
    const length = Math.max(0, Math.min(maxWindow, at - prev.start, end - at));
    const side = (version: number, sFrom: number, sTo: number): SideQuery => ({
      projectId: q.projectId ?? DEFAULT_PROJECT,
      promptName: q.promptName,
      version,
      from: new Date(sFrom),
      to: new Date(sTo),
      database: q.database ?? 'default',
      environment: run.environment,
      label: q.label,
      sampleLimit: opts.sampleLimit,
    });
    const base = await readSide(client, side(prev.version, at - length, at));
    const cand = await readSide(client, side(run.version, at, at + length));
    const metrics = compareSides(base, cand, opts);
    moves.push({
      environment: run.environment,
      at: new Date(at).toISOString(),
      fromVersion: prev.version,
      toVersion: run.version,
      fromVersionName: prev.versionName,
      toVersionName: run.versionName,
      before: {
        from: new Date(at - length).toISOString(),
        to: new Date(at).toISOString(),
        generations: base.generations,
      },
      after: {
        from: new Date(at).toISOString(),
        to: new Date(at + length).toISOString(),
        generations: cand.generations,
      },
      metrics,
      regressions: metrics.filter((m) => m.verdict === 'worse').map((m) => m.metric),
    });
  }
  return {
    prompt: q.promptName,
    label: q.label,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    alpha: opts.alpha,
    minSamples: opts.minSamples,
    sampleLimit: opts.sampleLimit,
    movesFound: found.length,
    moves,
  };
}
