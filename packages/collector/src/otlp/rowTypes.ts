/** Row shapes of `otel_traces` / `otel_logs`, owned by `@promptline/clickhouse`. */
export type { AttributeMap, LogRow, TraceRow, SpanKindText, StatusCodeText } from '@promptline/clickhouse';

import type { LogRow, TraceRow } from '@promptline/clickhouse';

/** Result of decoding one request: the rows plus items rejected as invalid (partial success). */
export interface DecodedTraces {
  rows: TraceRow[];
  rejected: number;
  rejectReason: string;
}

export interface DecodedLogs {
  rows: LogRow[];
  rejected: number;
  rejectReason: string;
}
