export { openClickHouse, DEFAULT_DATA_DIR } from './openClickHouse.js';
export type { OpenClickHouseOptions } from './openClickHouse.js';
export {
  migrate,
  loadMigrations,
  renderMigrations,
  defaultMigrationsDir,
  MIGRATIONS_TABLE,
} from './migrate.js';
export type { MigrateOptions, MigrateResult, MigrationFile } from './migrate.js';
export { renderMigration, splitStatements } from './renderSql.js';
export type { RenderOptions } from './renderSql.js';
export { insertTraces, insertLogs, insertJsonEachRow, validateTraceRow, validateLogRow } from './insert.js';
export type { InsertOptions } from './insert.js';
export { SPAN_KIND_TEXT, STATUS_CODE_TEXT } from './rows.js';
export type { TraceRow, LogRow, AttributeMap, SpanKindText, StatusCodeText } from './rows.js';
export {
  metricsByVersion,
  timeSeriesByVersion,
  trafficShareByLabel,
  labelHistory,
  scoresByVersion,
  planSegments,
} from './queries.js';
export type {
  PromptQuery,
  WindowQuery,
  MetricsByVersionQuery,
  TimeSeriesQuery,
  Quantiles,
  ScoreSummary,
  VersionMetrics,
  TimeSeriesPoint,
  LabelShare,
  LabelHistoryEntry,
} from './queries.js';
export { upsertModelPrices, listModelPrices, USAGE_TYPES } from './prices.js';
export type { ModelPrice, UsageType } from './prices.js';
export { histValueSql, histQuantilesExpr, histQuantiles, HIST_GAMMA } from './histogram.js';
