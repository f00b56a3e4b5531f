export { openClickHouse, DEFAULT_DATA_DIR, ENGINE_MALLOC_CONF } from './openClickHouse.js';
export type { OpenClickHouseOptions } from './openClickHouse.js';
export { releaseEngineMemory, engineMemoryBytes } from './engineMemory.js';
export {
  migrate,
  loadMigrations,
  renderMigrations,
  defaultMigrationsDir,
  MIGRATIONS_TABLE,
  ATTRIBUTE_INDEXES,
} from './migrate.js';
export type { MigrateOptions, MigrateResult, MigrationFile } from './migrate.js';
export { renderMigration, splitStatements } from './renderSql.js';
export type { RenderOptions } from './renderSql.js';
export {
  insertTraces,
  insertLogs,
  insertNative,
  insertJsonEachRow,
  validateTraceRow,
  validateLogRow,
} from './insert.js';
export { encodeTraceBlock, encodeLogBlock } from './nativeBlock.js';
export type { InsertBody, InsertOptions } from './insert.js';
export { SPAN_KIND_TEXT, STATUS_CODE_TEXT } from './rows.js';
export type { TraceRow, LogRow, AttributeMap, SpanKindText, StatusCodeText } from './rows.js';
export {
  metricsByVersion,
  timeSeriesByVersion,
  trafficShareByLabel,
  labelHistory,
  scoresByVersion,
  planSegments,
  DEFAULT_PROJECT,
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
export {
  compareVersions,
  DEFAULT_SAMPLE_LIMIT,
  DEFAULT_MIN_SAMPLES,
  DEFAULT_ALPHA,
} from './compareVersions.js';
export type { CompareVersionsQuery, VersionComparison } from './compareVersions.js';
export type { MetricComparison, SideSummary, ComparisonTest, Verdict } from './compareSides.js';
export { detectRegressions, DEFAULT_MOVE_WINDOW_MS, DEFAULT_MAX_MOVES } from './detectRegressions.js';
export type { DetectRegressionsQuery, RegressionReport, LabelMove } from './detectRegressions.js';
export { mannWhitneyU, exactUDistribution } from './stats/mannWhitney.js';
export type { MannWhitneyResult } from './stats/mannWhitney.js';
export { welchTTest } from './stats/welch.js';
export type { Moments, WelchResult } from './stats/welch.js';
export { compareProportions, twoProportionZTest, fisherExactTest } from './stats/proportions.js';
export type { Proportion, ProportionResult } from './stats/proportions.js';
export { holmAdjust } from './stats/holm.js';
export { normalCdf, normalTwoSided, studentTCdf, studentTTwoSided } from './stats/distributions.js';
export { promptOverview, promptDimensions } from './promptOverview.js';
export type {
  PromptOverviewQuery,
  PromptSummary,
  PromptDimensionsQuery,
  PromptDimensions,
} from './promptOverview.js';
export { scoreTimeSeriesByVersion } from './scoreTimeSeries.js';
export type { ScoreTimeSeriesQuery, ScoreTimeSeriesPoint } from './scoreTimeSeries.js';
export { distributionsByVersion } from './distributions.js';
export type { DistributionsQuery, Distribution, VersionDistributions } from './distributions.js';
export { listGenerations, generationDetail } from './generations.js';
export type {
  GenerationsQuery,
  GenerationsPage,
  GenerationRow,
  GenerationScore,
  GenerationDetail,
  GenerationDetailQuery,
} from './generations.js';
