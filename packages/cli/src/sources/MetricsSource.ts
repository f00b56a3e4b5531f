import type {
  BaselineCheckReport,
  BaselineChecksQuery,
  CompareVersionsQuery,
  DetectRegressionsQuery,
  RegressionReport,
  UnlinkedCount,
  VersionComparison,
} from '@promptline/clickhouse';

import type { MetricsBreakdownReport, VersionMetrics } from '../metricsReport.js';

export interface VersionMetricsQuery {
  prompt: string;
  from: Date;
  to: Date;
  /** A boolean score whose true values are the passes of cost per passing outcome. */
  passScore?: string;
}

export interface BreakdownQuery extends VersionMetricsQuery {
  /** Dimension or attribute key. */
  by: string;
  /** Values listed. */
  top?: number;
}

/** A window, and optionally one prompt, whose unlinked generations are counted. */
export interface UnlinkedQuery {
  prompt?: string;
  from: Date;
  to: Date;
}

/**
 * Where `promptline metrics`, `compare` and `regressions` read from: the engine directly (embedded
 * or a ClickHouse server), or a running collector through its typed read API.
 */
export interface MetricsSource {
  /** `embedded:<dir>`, `clickhouse:<url>` or `collector:<url>`. */
  readonly name: string;
  versionMetrics(query: VersionMetricsQuery): Promise<VersionMetrics[]>;
  /**
   * `compareVersions` on this source. `project` is the project read: the query's own when reading
   * the engine, the key's when reading through a collector (which ignores `query.projectId`).
   */
  compare(query: CompareVersionsQuery): Promise<VersionComparison & { project: string }>;
  /** `unlinkedGenerations` on this source (the project read, as in {@link compare}). */
  unlinked(query: UnlinkedQuery): Promise<{ project: string; unlinked: UnlinkedCount[] }>;
  /** `detectRegressions` on this source; `project` as in {@link compare}. */
  regressions(query: DetectRegressionsQuery): Promise<RegressionReport & { project: string }>;
  /** `metricsBreakdown` on this source, in the report's shape. */
  breakdown(query: BreakdownQuery): Promise<MetricsBreakdownReport>;
  /** `baselineChecks` on this source (the project: the source's, or the key's through a collector). */
  baselineChecks(
    query: Omit<BaselineChecksQuery, 'projectId' | 'database'>,
  ): Promise<BaselineCheckReport & { project: string }>;
  close(): Promise<void>;
}
