import type { ClickHouseClient } from '@clickhouse/client';
import {
  compareVersions,
  detectRegressions,
  metricsByVersion,
  trafficShareByLabel,
  unlinkedGenerations,
} from '@promptline/clickhouse';
import type { VersionMetrics as StoredVersionMetrics } from '@promptline/clickhouse';

import type { ScoreSummary, VersionMetrics } from '../metricsReport.js';
import type { MetricsSource, VersionMetricsQuery } from './MetricsSource.js';

/** The project a query without one reads (the collector's anonymous project). */
const DEFAULT_PROJECT = 'default';

/** Maps the query layer's row to the CLI report's stable shape. */
export function toReportVersion(row: StoredVersionMetrics, labels: readonly string[]): VersionMetrics {
  const scores: Record<string, ScoreSummary> = {};
  for (const s of row.scores) scores[s.name] = { mean: s.mean, count: s.count, labels: s.labels };
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
    },
    ttftMs:
      row.ttftMs === null
        ? { p50: null, p95: null, p99: null, mean: null }
        : { p50: row.ttftMs.p50, p95: row.ttftMs.p95, p99: row.ttftMs.p99, mean: row.ttftMs.mean },
    tokens: { input: row.inputTokens, output: row.outputTokens },
    costUsd: {
      total: row.totalCostUsd,
      perCall: row.requests === 0 ? 0 : row.totalCostUsd / row.requests,
      unpricedCalls: row.unpricedCalls,
    },
    scores,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
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
      const rows = await metricsByVersion(client, window);
      const shares = await trafficShareByLabel(client, window);
      const labels = new Map<number, string[]>();
      for (const share of shares) {
        if (share.label === '') continue;
        labels.set(share.version, [...(labels.get(share.version) ?? []), share.label]);
      }
      return rows.map((row) => toReportVersion(row, labels.get(row.version) ?? []));
    },
    close: () => client.close(),
  };
}
