export { runCli, createProgram, CLI_VERSION } from './program.js';
export { createOutput } from './output.js';
export { CliError } from './CliError.js';
export { readCollectorState, stateFilePath } from './stateFile.js';
export type { CollectorState } from './stateFile.js';
export type { Output, OutputStreams, Progress } from './output.js';
export type { CliContext, RegisterCommand, GlobalOptions } from './context.js';
export type {
  MetricsReport,
  VersionMetrics,
  Quantiles,
  ScoreSummary,
  Interval,
  MetricsBreakdownReport,
} from './metricsReport.js';
