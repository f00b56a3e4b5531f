/** Row shapes of `otel_traces` / `otel_logs`, owned by `@promptline/clickhouse`. */
export type { AttributeMap, LogRow, TraceRow, SpanKindText, StatusCodeText } from '@promptline/clickhouse';
