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
  close(): Promise<void>;
}
