import type { ClickHouseClient } from '@clickhouse/client';
import { labelHistory } from './labelHistory.js';
import type { LabelHistoryEntry } from './labelHistory.js';
import { toVersionMetrics } from './metricsByVersion.js';
import type { VersionMetrics } from './metricsByVersion.js';
import { emptyGroup, mergedGroups, mergeGroup } from './mergedRows.js';
import type { Group } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { checkWindow, queryDatabase } from './PromptQuery.js';
import { presenceFor } from './lateScores.js';
import { scoresByVersion } from './scoresByVersion.js';
import type { ScoreSummary } from './scoresByVersion.js';
import { scoreTimeSeriesByVersion } from './scoreTimeSeries.js';
import type { ScoreTimeSeriesPoint } from './scoreTimeSeries.js';
import { n } from './select.js';
import { seriesRole, toTimeSeriesPoints } from './timeSeriesByVersion.js';
import type { TimeSeriesPoint, TimeSeriesQuery } from './timeSeriesByVersion.js';
import { toLabelShares } from './trafficShareByLabel.js';
import { newestVersionFirst } from './versionInput.js';
import type { LabelShare } from './trafficShareByLabel.js';

/**
 * Everything one prompt's view shows for a window, in as few engine reads as the figures allow:
 * the per-version figures, the traffic share by label and the per-version time series come from
 * ONE query (the aggregates read twice in it, per label and version and per bucket, the raw
 * window edges read once for both), beside the score summaries, the score time series and the
 * label history (one small read tells both score reads whether they may find anything, and whether
 * any score waits for its generation: a read that would find none is not run, and the late-score
 * joins are left out when no score waits). Each part equals what its own query returns
 * (`metricsByVersion`, `trafficShareByLabel`, `timeSeriesByVersion`, `scoreTimeSeriesByVersion`,
 * `labelHistory`).
 *
 * @module
 */

/** Options of {@link promptPage}: a window, its filters, and the charts' bucket. */
export type PromptPageQuery = TimeSeriesQuery;

/** One prompt in one window, as the console's prompt view shows it. */
export interface PromptPage {
  /** As `metricsByVersion` (scores included), newest version first. */
  versions: VersionMetrics[];
  /** As `trafficShareByLabel`. */
  labels: LabelShare[];
  /** As `timeSeriesByVersion` at `intervalSeconds`. */
  points: TimeSeriesPoint[];
  /** As `scoreTimeSeriesByVersion` at `intervalSeconds`. */
  scorePoints: ScoreTimeSeriesPoint[];
  /** As `labelHistory` (from spans; not bounded by the window). */
  labelHistory: LabelHistoryEntry[];
}

/** The figures of several groups of one version, summed (histograms merged). */
function mergeGroups(groups: readonly Group[]): Group {
  const [first, ...rest] = groups as [Group, ...Group[]];
  if (rest.length === 0) return first;
  const g = emptyGroup({});
  for (const from of groups) mergeGroup(g, from);
  return g;
}

/**
 * One prompt's view in one window (see the module comment). The reads are issued together: a
 * server, and the embedded engine's read connections, answer them side by side.
 *
 * @example
 * const page = await promptPage(client, { promptName: 'support-reply', from, to, intervalSeconds: 3600 });
 * page.versions[0]?.latencyMs.p95; // newest version first
 */
export async function promptPage(client: ClickHouseClient, q: PromptPageQuery): Promise<PromptPage> {
  checkWindow(q);
  const series = seriesRole(q);
  const db = queryDatabase(q);
  // Which scores the two score reads may find is asked once for both.
  const presence = presenceFor(client, db, q, {});
  const [[byLabel = [], bySeries = []], scores, scorePoints, history] = await Promise.all([
    mergedGroups(client, db, q, [
      { keys: ['prompt_label', 'prompt_version'], segments: planSegments(q.from.getTime(), q.to.getTime()) },
      series,
    ]),
    presence.then((p) => scoresByVersion(client, q, { presence: p })),
    presence.then((p) => scoreTimeSeriesByVersion(client, q, { presence: p })),
    labelHistory(client, q),
  ]);
  const perVersion = new Map<number, Group[]>();
  for (const g of byLabel) {
    const v = n(g.prompt_version as number);
    perVersion.set(v, [...(perVersion.get(v) ?? []), g]);
  }
  const versions = [...perVersion.entries()]
    .map(([v, groups]) => toVersionMetrics(mergeGroups(groups), v, scores.get(v) ?? ([] as ScoreSummary[])))
    .sort(newestVersionFirst);
  return {
    versions,
    labels: toLabelShares(byLabel),
    points: toTimeSeriesPoints(bySeries),
    scorePoints,
    labelHistory: history,
  };
}
