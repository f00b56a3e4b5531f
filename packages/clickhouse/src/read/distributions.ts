import type { ClickHouseClient } from '@clickhouse/client';
import { histRepresentative } from '../schema/histogram.js';
import { quoteIdent } from '../schema/renderSql.js';
import { checkWindow, dimFilter } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { mergedRows } from './mergedRows.js';
import type { Hist } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { chTime, n, select } from './select.js';
import { LATE_SCORE_KEYS, lateScoreJoins, presenceFor } from './lateScores.js';
import { QueryOptionsError } from './QueryOptionsError.js';

/**
 * Distributions of latency, time to first token and each numeric score for a few versions of one
 * prompt, on bins shared by those versions so they can be drawn over each other. Latency and TTFT
 * come from the merged per-version histograms (the same ones the quantiles are read from); scores
 * from the raw score rows (values rounded to 4 decimals), resolved as `scoresByVersion` does.
 *
 * @module
 */

/** Options of {@link distributionsByVersion}. */
export interface DistributionsQuery extends WindowQuery {
  /** Versions to read (1–10). */
  versions: number[];
  /** Bins per measure (2–200). Default 40. */
  bins?: number;
}

/** Counts per bin, one array per version (same order as `bins`). */
export interface Distribution {
  /** `[low, high)` of each bin; the last bin includes its high edge. */
  bins: Array<[number, number]>;
  /** Version → count per bin. */
  counts: Record<string, number[]>;
  /** Version → values counted (n). */
  n: Record<string, number>;
  /** `log` when bins grow geometrically (positive values spanning > 10×), else `linear`. */
  scale: 'log' | 'linear';
}

/** Result of {@link distributionsByVersion}. */
export interface VersionDistributions {
  latencyMs: Distribution;
  ttftMs: Distribution;
  /** Score name → distribution of its numeric values. */
  scores: Record<string, Distribution>;
}

type Points = Map<number, Array<[number, number]>>;

/**
 * Value/count points of several versions → shared bins. `discrete` (scores: ratings, pass/fail):
 * with at most `bins` distinct values, one bin per value. Measured quantities (latency, TTFT) always
 * get `bins` bins over their range (one bin when every value is the same): a bin per value would
 * draw 104 ms → 202 ms as one step, like 103 → 104 ms.
 */
export function binPoints(byVersion: Points, bins: number, discrete = true): Distribution {
  let lo = Infinity;
  let hi = -Infinity;
  for (const pts of byVersion.values())
    for (const [v] of pts) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  const counts: Record<string, number[]> = {};
  const total: Record<string, number> = {};
  for (const [version, pts] of byVersion) {
    counts[version] = new Array<number>(0);
    total[version] = pts.reduce((a, [, c]) => a + c, 0);
  }
  if (lo === Infinity) return { bins: [], counts, n: total, scale: 'linear' };
  const distinct = new Set<number>();
  for (const pts of byVersion.values()) for (const [v] of pts) distinct.add(v);
  let edges: number[];
  let scale: 'log' | 'linear' = 'linear';
  if ((discrete && distinct.size <= bins) || distinct.size === 1) {
    // Few distinct values of a score (ratings, pass/fail), or a single value: one bin per value.
    const values = [...distinct].sort((a, b) => a - b);
    const out: Array<[number, number]> = values.map((v) => [v, v]);
    for (const [version, pts] of byVersion) {
      const c = new Array<number>(values.length).fill(0);
      for (const [v, k] of pts) c[values.indexOf(v)]! += k;
      counts[version] = c;
    }
    return { bins: out, counts, n: total, scale };
  }
  if (lo > 0 && hi / lo > 10) {
    scale = 'log';
    const a = Math.log(lo);
    const step = (Math.log(hi) - a) / bins;
    edges = Array.from({ length: bins + 1 }, (_, i) => Math.exp(a + i * step));
  } else {
    const step = (hi - lo) / bins;
    edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * step);
  }
  edges[bins] = hi;
  const binOf = (v: number): number => {
    let l = 0;
    let r = bins - 1;
    while (l < r) {
      const m = (l + r + 1) >> 1;
      if (edges[m]! <= v) l = m;
      else r = m - 1;
    }
    return l;
  };
  for (const [version, pts] of byVersion) {
    const c = new Array<number>(bins).fill(0);
    for (const [v, k] of pts) c[binOf(v)]! += k;
    counts[version] = c;
  }
  return {
    bins: Array.from({ length: bins }, (_, i) => [edges[i]!, edges[i + 1]!] as [number, number]),
    counts,
    n: total,
    scale,
  };
}

function histPoints(h: Hist): Array<[number, number]> {
  return [...h].map(([k, c]) => [histRepresentative(k), c]);
}

/**
 * @example
 * const d = await distributionsByVersion(client, { promptName: 'support-reply', versions: [1, 2], from, to });
 * d.latencyMs.counts['2']; // counts per shared bin
 */
export async function distributionsByVersion(
  client: ClickHouseClient,
  q: DistributionsQuery,
): Promise<VersionDistributions> {
  checkWindow(q);
  const bins = q.bins ?? 40;
  if (!Number.isInteger(bins) || bins < 2 || bins > 200)
    throw new QueryOptionsError('distributions: bins must be an integer in 2…200');
  if (
    !Array.isArray(q.versions) ||
    q.versions.length < 1 ||
    q.versions.length > 10 ||
    !q.versions.every((v) => Number.isInteger(v) && v >= 1)
  )
    throw new QueryOptionsError('distributions: versions must be 1 to 10 positive integers');
  const db = quoteIdent(q.database ?? 'default', 'database');
  const wanted = new Set(q.versions);
  const groups = await mergedRows(
    client,
    db,
    q,
    ['prompt_version'],
    planSegments(q.from.getTime(), q.to.getTime()),
  );
  const latency: Points = new Map();
  const ttft: Points = new Map();
  for (const v of q.versions) {
    latency.set(v, []);
    ttft.set(v, []);
  }
  for (const g of groups) {
    const v = n(g.prompt_version as number);
    if (!wanted.has(v)) continue;
    latency.set(v, histPoints(g.latency_h));
    ttft.set(v, histPoints(g.ttft_h));
  }

  const params: Record<string, unknown> = {
    versions: q.versions,
    wf: chTime(q.from.getTime()),
    wt: chTime(q.to.getTime()),
  };
  const filter = dimFilter({ ...q, model: undefined }, params);
  const envFilter = q.environment !== undefined ? ' AND s.environment = {environment:String}' : '';
  const labelFilter = q.label !== undefined ? ' AND s.prompt_label = {label:String}' : '';
  // Which scores the read may find (one small read): none, and it is not run; none stored before
  // their generation, and the late joins stay out.
  const { late, resolved } = await presenceFor(client, db, q, {});
  const lateBranch = `UNION ALL (
  SELECT s.prompt_version AS version, u.score_name AS name, round(assumeNotNull(u.value), 4) AS value, count() AS c
  FROM (
    SELECT score_name, value, ${LATE_SCORE_KEYS} FROM ${db}.promptline_scores
    WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0 AND value IS NOT NULL
      AND timestamp >= {wf:DateTime64(3, 'UTC')}
  ) AS u
  ${lateScoreJoins(db)}
  WHERE s.prompt_name = {prompt:String} AND s.prompt_version IN {versions:Array(UInt32)}
    AND s.timestamp >= {wf:DateTime64(3, 'UTC')} AND s.timestamp < {wt:DateTime64(3, 'UTC')}${envFilter}${labelFilter}
  GROUP BY version, name, value
  SETTINGS join_algorithm = 'direct'
)`;
  const rows =
    !late && !resolved
      ? []
      : await select<{ version: number | string; name: string; value: number; c: number | string }>(
          client,
          `SELECT version, name, value, sum(c) AS c FROM ((
  SELECT prompt_version AS version, score_name AS name, round(assumeNotNull(value), 4) AS value, count() AS c
  FROM ${db}.promptline_scores
  WHERE ${filter} AND prompt_version IN {versions:Array(UInt32)} AND value IS NOT NULL
    AND generation_time >= {wf:DateTime64(3, 'UTC')} AND generation_time < {wt:DateTime64(3, 'UTC')}
  GROUP BY version, name, value
  ) ${late ? lateBranch : ''})
GROUP BY version, name, value
ORDER BY name, version, value
LIMIT 2000 BY name, version`,
          params,
        );
  const byName = new Map<string, Points>();
  for (const r of rows) {
    let points = byName.get(r.name);
    if (points === undefined) {
      points = new Map(q.versions.map((v) => [v, [] as Array<[number, number]>]));
      byName.set(r.name, points);
    }
    points.get(n(r.version))?.push([Number(r.value), n(r.c)]);
  }
  const scores: Record<string, Distribution> = {};
  for (const [name, points] of byName) scores[name] = binPoints(points, bins);
  return { latencyMs: binPoints(latency, bins, false), ttftMs: binPoints(ttft, bins, false), scores };
}
