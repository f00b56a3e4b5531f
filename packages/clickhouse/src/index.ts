// engine: open a client (server or embedded), the embedded engine's memory
export { defaultEngineReaders, MAX_ENGINE_READERS, openClickHouse } from './engine/openClickHouse.js';
export type { OpenClickHouseOptions } from './engine/openClickHouse.js';
export { releaseEngineMemory, engineMemoryBytes } from './engine/engineMemory.js';

// schema: migrations
export { migrate, renderMigrations } from './schema/migrate.js';
export type { MigrateOptions, MigrateResult } from './schema/migrate.js';
export { identityHour, NEW_SPANS_LOG_COMMENT } from './schema/spanIdentity.js';

// write: rows, Native blocks, inserts, model prices
export type { TraceRow, LogRow, AttributeMap, SpanKindText, StatusCodeText } from './write/rows.js';
export { SPAN_KIND_TEXT, STATUS_CODE_TEXT } from './write/rows.js';
export { encodeTraceBlock, encodeLogBlock } from './write/nativeBlock.js';
export { promptNamesOf } from './write/promptNames.js';
export { insertTraces, insertLogs, insertNative, insertJsonEachRow } from './write/insert.js';
export type { InsertBody, InsertOptions } from './write/insert.js';
export { upsertModelPrices, listModelPrices } from './write/prices.js';
export type { ModelPrice, UsageType } from './write/prices.js';

// read: per-version metrics, time series, label share and history, scores
export { QueryOptionsError } from './read/QueryOptionsError.js';
export { checkQueryWindow, MIN_QUERY_TIME, MAX_QUERY_TIME } from './read/queryWindow.js';
export type { PromptQuery, WindowQuery } from './read/PromptQuery.js';
export { metricsByVersion } from './read/metricsByVersion.js';
export type {
  MetricsByVersionQuery,
  VersionMetrics,
  Quantiles,
  CostPerPass,
} from './read/metricsByVersion.js';
export {
  timeSeriesByVersion,
  MAX_INTERVAL_SECONDS,
  MAX_TIME_SERIES_BUCKETS,
} from './read/timeSeriesByVersion.js';
export type { TimeSeriesQuery, TimeSeriesPoint } from './read/timeSeriesByVersion.js';
export {
  metricsBreakdown,
  BREAKDOWN_DIMENSIONS,
  DEFAULT_BREAKDOWN_TOP,
  MAX_BREAKDOWN_TOP,
  MAX_ATTRIBUTE_WINDOW_MS,
} from './read/metricsBreakdown.js';
export type { MetricsBreakdownQuery, MetricsBreakdown, BreakdownValue } from './read/metricsBreakdown.js';
export { trafficShareByLabel } from './read/trafficShareByLabel.js';
export type { LabelShare } from './read/trafficShareByLabel.js';
export { labelHistory } from './read/labelHistory.js';
export type { LabelHistoryEntry } from './read/labelHistory.js';
export {
  scoresByVersion,
  DEFAULT_MAX_DISTINCT_VALUES,
  MAX_CATEGORIES,
  OTHER_CATEGORY,
} from './read/scoresByVersion.js';
export type { ScoreSummary, ScoresByVersionQuery } from './read/scoresByVersion.js';
export type { Interval, QuantileInterval } from './stats/intervals.js';
export type {
  NumericDescription,
  ProportionDescription,
  CategoricalDescription,
  CategoryShare,
} from './stats/describe.js';
export type { ScoreKind } from './stats/scoreKind.js';

// read, for the console: every prompt, dimensions, score series, distributions, generations
export { promptOverview, promptDimensions } from './read/promptOverview.js';
export type {
  PromptOverviewQuery,
  PromptSummary,
  PromptDimensionsQuery,
  PromptDimensions,
} from './read/promptOverview.js';
export { promptPage } from './read/promptPage.js';
export type { PromptPage, PromptPageQuery } from './read/promptPage.js';
export { scoreTimeSeriesByVersion } from './read/scoreTimeSeries.js';
export type { ScoreTimeSeriesQuery, ScoreTimeSeriesPoint } from './read/scoreTimeSeries.js';
export { distributionsByVersion } from './read/distributions.js';
export type { DistributionsQuery, Distribution, VersionDistributions } from './read/distributions.js';
export { listGenerations, generationDetail } from './read/generations.js';
export type {
  GenerationsQuery,
  GenerationsPage,
  GenerationRow,
  GenerationScore,
  GenerationDetail,
  GenerationDetailQuery,
} from './read/generations.js';
export { UNLINKED_REASONS, unlinkedGenerations, unlinkedTotalsSince } from './read/unlinkedGenerations.js';
export type { UnlinkedQuery, UnlinkedCount, UnlinkedReason } from './read/unlinkedGenerations.js';
export { resolveVersion, newestVersionFirst, versionArgument } from './read/versionInput.js';
export type { ResolvedVersion } from './read/versionInput.js';

// compare: two versions, regressions around label moves
export { compareVersions } from './compare/compareVersions.js';
export type { CompareVersionsQuery, VersionComparison } from './compare/compareVersions.js';
export type {
  MetricComparison,
  SideSummary,
  ComparisonTest,
  Verdict,
  MetricKind,
  HeadlineStatistic,
} from './compare/compareSides.js';
export { detectRegressions, MAX_MOVE_WINDOW_MS, MAX_MAX_MOVES } from './compare/detectRegressions.js';
export type { DetectRegressionsQuery, RegressionReport, LabelMove } from './compare/detectRegressions.js';

// alerts: baseline-relative rules (Grafana and `promptline check`)
export { BASELINE_RULES, baselineRuleSql, MOVE_MAX_AGE_DAYS } from './alerts/baselineRules.js';
export type { BaselineRule } from './alerts/baselineRules.js';
export { baselineChecks } from './alerts/baselineChecks.js';
export type { BaselineChecksQuery, BaselineInstance, BaselineCheckReport } from './alerts/baselineChecks.js';
