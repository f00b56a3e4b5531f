import type { ClickHouseClient } from '@clickhouse/client';
import {
  baselineChecks,
  compareVersions,
  detectRegressions,
  metricsBreakdown,
  metricsByVersion,
  trafficShareByLabel,
  unlinkedGenerations,
} from '@promptline/clickhouse';
import type {
  Interval as StoredInterval,
  MetricsBreakdown,
  ScoreSummary as StoredScoreSummary,
  VersionMetrics as StoredVersionMetrics,
} from '@promptline/clickhouse';

import type { Interval, MetricsBreakdownReport, ScoreSummary, VersionMetrics } from '../metricsReport.js';
import type { MetricsSource, VersionMetricsQuery } from './MetricsSource.js';

/** The project a query without one reads (the collector's anonymous project). */
const DEFAULT_PROJECT = 'default';

function interval(i: StoredInterval | null | undefined): Interval | null {
  return i === null || i === undefined ? null : { lower: i.lower, upper: i.upper, level: i.level };
}

function toReportScore(s: StoredScoreSummary): ScoreSummary {
  const d = s.numeric;
  return {
    mean: s.mean,
    count: s.count,
    labels: s.labels,
    kind: s.kind,
    numeric:
      d === null
        ? null
        : {
            n: d.n,
            mean: d.mean,
            meanCi: interval(d.meanCi),
            median: d.median,
            medianCi: interval(d.medianCi),
            min: d.min,
            max: d.max,
            p10: d.p10,
            p25: d.p25,
            p75: d.p75,
            p90: d.p90,
          },
    passRate:
      s.passRate === null
        ? null
        : { n: s.passRate.n, events: s.passRate.events, rate: s.passRate.rate, ci: interval(s.passRate.ci) },
    categories:
      s.categories === null
        ? null
        : s.categories.categories.map((c) => ({
            label: c.label,
            count: c.count,
            share: c.share,
            ci: interval(c.ci)!,
          })),
    exact: s.exact,
  };
}

/** Maps the query layer's row to the CLI report's stable shape. */
export function toReportVersion(row: StoredVersionMetrics, labels: readonly string[]): VersionMetrics {
  const scores: Record<string, ScoreSummary> = {};
  for (const s of row.scores) scores[s.name] = toReportScore(s);
  const intervals: Record<string, Interval> = {};
  for (const [k, i] of Object.entries(row.intervals)) intervals[k] = interval(i)!;
  return {
    version: row.version,
    versionName: row.versionName,
    labels: [...labels].sort(),
    count: row.requests,
    errors: row.errors,
    errorRate: row.errorRate,
    latencyMs: {
      p50: row.latencyMs.p50,
      p95: row.latencyMs.p95,
      p99: row.latencyMs.p99,
      mean: row.latencyMs.mean,
      n: row.requests,
    },
    ttftMs:
      row.ttftMs === null
        ? { p50: null, p95: null, p99: null, mean: null, n: 0 }
        : {
            p50: row.ttftMs.p50,
            p95: row.ttftMs.p95,
            p99: row.ttftMs.p99,
            mean: row.ttftMs.mean,
            n: row.ttftMs.count,
          },
    tokens: { input: row.inputTokens, output: row.outputTokens },
    costUsd: {
      total: row.totalCostUsd,
      perCall: row.requests === 0 ? 0 : row.totalCostUsd / row.requests,
      unpricedCalls: row.unpricedCalls,
    },
    costPerPass: row.costPerPass,
    intervals,
    scores,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
  };
}

/** Maps a breakdown of the query layer to the report's shape. */
export function toReportBreakdown(b: MetricsBreakdown): MetricsBreakdownReport {
  return {
    by: b.by,
    readFrom: b.source,
    values: b.values.map((v) => ({
      value: v.value,
      count: v.requests,
      versions: v.versions.map((x) => toReportVersion(x, [])),
    })),
    other:
      b.other === null
        ? null
        : {
            values: b.other.values,
            count: b.other.requests,
            versions: b.other.versions.map((x) => toReportVersion(x, [])),
          },
  };
}

/**
 * Reads through the typed query layer of `@promptline/clickhouse` with a `@clickhouse/client` on
 * the embedded engine or a ClickHouse server.
 */
export function clickhouseSource(
  client: ClickHouseClient,
  name: string,
  opts: { projectId?: string; database?: string } = {},
): MetricsSource {
  return {
    name,
    async compare(query) {
      const project = opts.projectId ?? query.projectId ?? DEFAULT_PROJECT;
      const db = opts.database === undefined ? {} : { database: opts.database };
      return { project, ...(await compareVersions(client, { ...query, ...db, projectId: project })) };
    },
    async regressions(query) {
      const project = opts.projectId ?? query.projectId ?? DEFAULT_PROJECT;
      const db = opts.database === undefined ? {} : { database: opts.database };
      return { project, ...(await detectRegressions(client, { ...query, ...db, projectId: project })) };
    },
    async unlinked(query) {
      const project = opts.projectId ?? DEFAULT_PROJECT;
      const unlinked = await unlinkedGenerations(client, {
        projectId: project,
        from: query.from,
        to: query.to,
        ...(query.prompt === undefined ? {} : { promptName: query.prompt }),
        ...(opts.database === undefined ? {} : { database: opts.database }),
      });
      return { project, unlinked };
    },
    async versionMetrics(query: VersionMetricsQuery): Promise<VersionMetrics[]> {
      const window = {
        promptName: query.prompt,
        from: query.from,
        to: query.to,
        ...(opts.projectId === undefined ? {} : { projectId: opts.projectId }),
        ...(opts.database === undefined ? {} : { database: opts.database }),
      };
      // One query at a time: the embedded engine runs one session per process.
      const rows = await metricsByVersion(client, {
        ...window,
        ...(query.passScore === undefined ? {} : { passScore: query.passScore }),
      });
      const shares = await trafficShareByLabel(client, window);
      const labels = new Map<number, string[]>();
      for (const share of shares) {
        if (share.label === '') continue;
        labels.set(share.version, [...(labels.get(share.version) ?? []), share.label]);
      }
      return rows.map((row) => toReportVersion(row, labels.get(row.version) ?? []));
    },
    async breakdown(query) {
      return toReportBreakdown(
        await metricsBreakdown(client, {
          promptName: query.prompt,
          from: query.from,
          to: query.to,
          by: query.by,
          ...(query.top === undefined ? {} : { top: query.top }),
          ...(opts.projectId === undefined ? {} : { projectId: opts.projectId }),
          ...(opts.database === undefined ? {} : { database: opts.database }),
        }),
      );
    },
    async baselineChecks(query) {
      const project = opts.projectId ?? DEFAULT_PROJECT;
      return {
        project,
        ...(await baselineChecks(client, {
          ...query,
          projectId: project,
          ...(opts.database === undefined ? {} : { database: opts.database }),
        })),
      };
    },
    close: () => client.close(),
  };
}
