import type { ClickHouseClient } from '@clickhouse/client';

import type { VersionMetrics } from '../metricsReport.js';

export interface VersionMetricsQuery {
  prompt: string;
  from: Date;
  to: Date;
}

/** Where `promptline metrics` reads from: the engine directly, or a running collector over HTTP. */
export interface MetricsSource {
  /** `embedded:<dir>`, `clickhouse:<url>` or `collector:<url>`. */
  readonly name: string;
  versionMetrics(query: VersionMetricsQuery): Promise<VersionMetrics[]>;
  /**
   * A ClickHouse client on the same data, for the queries beyond the metrics table (`compare`,
   * `regressions`): the engine itself, or the collector's read-only SQL endpoint. `projectId` is the
   * project the source reads (unknown through a collector: the key decides there).
   */
  readonly sql: { client: ClickHouseClient; projectId: string | undefined };
  close(): Promise<void>;
}
