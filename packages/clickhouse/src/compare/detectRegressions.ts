import type { ClickHouseClient } from '@clickhouse/client';
import { checkPrompt, DEFAULT_PROJECT, queryDatabase } from '../read/PromptQuery.js';
import type { WindowQuery } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { checkQueryWindow } from '../read/queryWindow.js';
import { chTime, epochMs, select } from '../read/select.js';
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
 * Where the moves come from: the prompt registry's label log (`prompt_label_events`: the exact
 * time and who moved it) when it holds events for the label; otherwise the spans, at second
 * resolution (the second in which another version became the label's dominant version).
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
/** Cap on label runs (from spans) and on registry events read to find moves. */
const MAX_TIMELINE_ROWS = 500_000;
/**
 * A run of the label's dominant version (from spans) shorter than this is not a move of its own:
 * stragglers around a move (clients whose cached prompt was still the old version, or the first
 * client to pick up a new one). See {@link lastingRuns}.
 */
export const SPAN_BLIP_MS = 60_000;

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

/** Where the moves of a report were found. */
export type MoveSource = 'registry' | 'spans';

/** One label move and what changed across it. */
export interface LabelMove {
  /**
   * The environment compared. Registry moves are not per environment: `''` then means every
   * environment (or the `environment` asked for).
   */
  environment: string;
  /**
   * When the label moved (ISO-8601 UTC): the registry's time of the move, or the first generation
   * of the new version under the label (spans).
   */
  at: string;
  /** `registry` (the registry's label log) or `spans`. */
  source: MoveSource;
  /** Who moved the label (registry moves); `null` for moves found in spans. */
  actor: string | null;
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
  /** Where the moves were found: the registry's label log when it has events for the label, else spans. */
  moveSource: MoveSource;
  /** Moves found in the window (all, before the `maxMoves` cap). */
  movesFound: number;
  /** Examined moves, oldest first. */
  moves: LabelMove[];
}

interface Run {
  environment: string;
  version: number;
  /** The version as shown (`3`, `2.1.0`, `#a1b2c3d4`). */
  versionName: string;
  /** Start of the run: its first second (spans) or the registry's time of the move. */
  start: number;
  /** When the run began: its first generation (spans) or the registry's time of the move. */
  first: number;
  /** Who moved the label (registry). */
  actor: string | null;
}

function timelineParams(q: DetectRegressionsQuery, lookFrom: number): Record<string, unknown> {
  return {
    project: q.projectId ?? DEFAULT_PROJECT,
    prompt: q.promptName,
    label: q.label,
    from: chTime(lookFrom),
    to: chTime(q.to.getTime()),
    maxRows: MAX_TIMELINE_ROWS,
  };
}

/**
 * The label's runs from the registry's label log (every event up to `to`: a move's previous
 * version may have been set long before the window); `null` when the registry has no event for the
 * label. An event that sets the version already served is not a move.
 */
async function readRegistryRuns(
  client: ClickHouseClient,
  db: string,
  q: DetectRegressionsQuery,
): Promise<Run[] | null> {
  const rows = await select<{ version: number | string; actor: string; moved_at: string }>(
    client,
    `SELECT version, actor, moved_at FROM ${db}.prompt_label_events
WHERE project_id = {project:String} AND name = {prompt:String} AND label = {label:String}
  AND moved_at < {to:DateTime64(3, 'UTC')}
ORDER BY moved_at, event_id
LIMIT {maxRows:UInt32}`,
    timelineParams(q, q.from.getTime()),
  );
  if (rows.length === 0) return null;
  const runs: Run[] = [];
  const environment = q.environment ?? '';
  for (const r of rows) {
    const version = Number(r.version);
    const at = epochMs(r.moved_at);
    if (runs[runs.length - 1]?.version === version) continue;
    // Registry versions are whole numbers: shown as they are numbered.
    runs.push({
      environment,
      version,
      versionName: versionName(version),
      start: at,
      first: at,
      actor: r.actor,
    });
  }
  return runs;
}

/**
 * Per environment, the label's timeline at second resolution from spans: the version that served
 * most of each second's traffic under the label (ties: the lower version), collapsed in SQL into
 * runs (only the seconds where the dominant version changes come back), then the short runs
 * around a move set aside ({@link lastingRuns}).
 */
async function readSpanRuns(
  client: ClickHouseClient,
  db: string,
  q: DetectRegressionsQuery,
  lookFrom: number,
): Promise<Run[]> {
  const params = timelineParams(q, lookFrom);
  let env = '';
  if (q.environment !== undefined) {
    params.environment = q.environment;
    env = ' AND environment = {environment:String}';
  }
  const rows = await select<{
    environment: string;
    second: string;
    version: number | string;
    version_name: string;
    first: string;
  }>(
    client,
    `SELECT environment, second, version, version_name, first FROM (
  SELECT environment, second, version, version_name, first,
    lagInFrame(version, 1, toUInt32(0)) OVER (PARTITION BY environment ORDER BY second
      ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS previous
  FROM (
    SELECT environment, second,
      argMax(prompt_version, (n, -toInt64(prompt_version))) AS version,
      argMax(first, (n, -toInt64(prompt_version))) AS first,
      argMax(version_name, (n, -toInt64(prompt_version))) AS version_name
    FROM (
      SELECT toString(environment) AS environment, toStartOfSecond(timestamp) AS second, prompt_version,
        count() AS n, min(timestamp) AS first, any(toString(prompt_version_name)) AS version_name
      FROM ${db}.promptline_generations
      WHERE project_id = {project:String} AND prompt_name = {prompt:String} AND prompt_label = {label:String}
        AND prompt_version > 0${env}
        AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp < {to:DateTime64(3, 'UTC')}
      GROUP BY environment, second, prompt_version
    )
    GROUP BY environment, second
  )
)
WHERE version != previous
ORDER BY environment, second
LIMIT {maxRows:UInt32}`,
    params,
  );
  const byEnvironment = new Map<string, Run[]>();
  for (const r of rows) {
    const list = byEnvironment.get(r.environment) ?? [];
    list.push({
      environment: r.environment,
      version: Number(r.version),
      versionName: versionName(Number(r.version), r.version_name),
      start: epochMs(r.second),
      first: epochMs(r.first),
      actor: null,
    });
    byEnvironment.set(r.environment, list);
  }
  const runs: Run[] = [];
  for (const list of byEnvironment.values()) runs.push(...lastingRuns(list));
  return runs;
}

/**
 * The label's runs without the short ones around a move: a run shorter than {@link SPAN_BLIP_MS}
 * (up to the next run; the last run always lasts) is not a move of its own — clients still on a cached
 * old version after a move, or a first client on the new one just before. A move is a run that
 * lasts (or the last run) of another version than the last lasting run; it starts at the first
 * run of its version since that lasting run. So A, B (short), A (short), B (lasting) is one move
 * to B at the first B, and A, B (short), A (lasting) is none. The first run is taken as lasting.
 */
export function lastingRuns<T extends { version: number; start: number }>(runs: readonly T[]): T[] {
  if (runs.length === 0) return [];
  const lasting = (i: number): boolean =>
    i === 0 || i === runs.length - 1 || runs[i + 1]!.start - runs[i]!.start >= SPAN_BLIP_MS;
  const out: T[] = [runs[0]!];
  let since = 0; // index (in runs) of the last lasting run of the current version
  for (let i = 1; i < runs.length; i++) {
    if (!lasting(i)) continue;
    const run = runs[i]!;
    if (run.version === out[out.length - 1]!.version) {
      since = i;
      continue;
    }
    let j = since + 1;
    while (runs[j]!.version !== run.version) j++;
    out.push(runs[j]!);
    since = i;
  }
  return out;
}

/**
 * Finds every move of `label` in the window — from the registry's label log when it has events
 * for the label (the exact time of the move, and who made it), else from spans (the second in
 * which another version became the label's dominant version) — and compares the new version right
 * after the move with the old one right before it: both windows have the length min(maxWindowMs,
 * time since the previous move, time until the next move or `to`). Metrics and tests are those of
 * compareVersions; a regression is a metric whose Holm-adjusted verdict is `worse`.
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
  const registry = await readRegistryRuns(client, db, q);
  const runs = registry ?? (await readSpanRuns(client, db, q, from - maxWindow));

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
    // Registry moves are not per environment: every environment unless one was asked for.
    const environment = registry === null ? run.environment : q.environment;
    const side = (version: number, sFrom: number, sTo: number): SideQuery => ({
      projectId: q.projectId ?? DEFAULT_PROJECT,
      promptName: q.promptName,
      version,
      from: new Date(sFrom),
      to: new Date(sTo),
      database: q.database ?? 'default',
      ...(environment === undefined ? {} : { environment }),
      label: q.label,
      sampleLimit: opts.sampleLimit,
    });
    const base = await readSide(client, side(prev.version, at - length, at));
    const cand = await readSide(client, side(run.version, at, at + length));
    const metrics = compareSides(base, cand, opts);
    moves.push({
      environment: run.environment,
      at: new Date(at).toISOString(),
      source: registry === null ? 'spans' : 'registry',
      actor: run.actor,
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
    moveSource: registry === null ? 'spans' : 'registry',
    movesFound: found.length,
    moves,
  };
}
