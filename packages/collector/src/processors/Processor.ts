import type { LogRow, TraceRow } from '../otlp/rowTypes.js';

/** What a processor knows about the request its rows came from. */
export interface ProcessContext {
  /** Project of the authenticated API key (or the anonymous project). */
  project: string;
}

/**
 * One stage of a pipeline. Processors run in the order of `service.pipelines.<signal>.processors`,
 * mutate rows in place and return the rows to keep. They never throw on row content.
 */
export interface Processor {
  /** Configured name, e.g. `promptline_redaction` or `promptline_redaction/strict`. */
  readonly name: string;
  processTraces(rows: TraceRow[], ctx: ProcessContext): TraceRow[];
  processLogs(rows: LogRow[], ctx: ProcessContext): LogRow[];
  /** Counters for `/metrics`: name → value (e.g. `redacted_values`). */
  counters(): Record<string, number>;
}
