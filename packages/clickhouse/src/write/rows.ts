/**
 * Row shapes of `otel_traces` and `otel_logs`, column for column as the OpenTelemetry Collector
 * (contrib) ClickHouse exporter creates them. The collector's protobuf decoder builds these rows
 * and hands them to {@link insertTraces} / {@link insertLogs}; they are serialised as
 * `JSONEachRow`, so every property name is the exact column name.
 *
 * Shared value formats (the exporter's, so upstream-collector data and ours are indistinguishable):
 * - Timestamps: text `YYYY-MM-DD HH:MM:SS.fffffffff` in UTC (nanosecond precision), or ISO-8601
 *   with a `Z` suffix. Columns are `DateTime64(9)`.
 * - Trace ids: 32 lowercase hex chars; span ids: 16 lowercase hex chars; `''` when absent.
 * - Attribute maps: `Map(LowCardinality(String), String)` — every value is a string. Scalars are
 *   stringified (`true`, `42`, `0.5`); arrays and key-value lists are JSON-encoded (`["stop"]`).
 *
 * @module
 */

/** String-valued attribute map, as stored in the `*Attributes` columns. */
export type AttributeMap = Record<string, string>;

/** `SpanKind` column values (the exporter strips the `SPAN_KIND_` prefix and title-cases). */
export type SpanKindText = 'Unspecified' | 'Internal' | 'Server' | 'Client' | 'Producer' | 'Consumer';

/** `StatusCode` column values (the exporter strips the `STATUS_CODE_` prefix and title-cases). */
export type StatusCodeText = 'Unset' | 'Ok' | 'Error';

/** Ordered span kinds by OTLP enum value (0..5), for decoders. */
export const SPAN_KIND_TEXT: readonly SpanKindText[] = [
  'Unspecified',
  'Internal',
  'Server',
  'Client',
  'Producer',
  'Consumer',
];

/** Ordered status codes by OTLP enum value (0..2), for decoders. */
export const STATUS_CODE_TEXT: readonly StatusCodeText[] = ['Unset', 'Ok', 'Error'];

/**
 * One row of `otel_traces` (one span).
 *
 * @example
 * const row: TraceRow = {
 *   Timestamp: '2026-11-21 10:00:00.000000000', TraceId: '0af7651916cd43dd8448eb211c80319c',
 *   SpanId: 'b7ad6b7169203331', ParentSpanId: '', TraceState: '', SpanName: 'chat gpt-4o-mini',
 *   SpanKind: 'Client', ServiceName: 'checkout', ResourceAttributes: { 'service.name': 'checkout' },
 *   ScopeName: '@promptline/sdk', ScopeVersion: '0.1.0', SpanAttributes: { 'gen_ai.operation.name': 'chat' },
 *   Duration: 812_000_000, StatusCode: 'Unset', StatusMessage: '',
 *   'Events.Timestamp': [], 'Events.Name': [], 'Events.Attributes': [],
 *   'Links.TraceId': [], 'Links.SpanId': [], 'Links.TraceState': [], 'Links.Attributes': [],
 * };
 */
export interface TraceRow {
  /** `DateTime64(9)`: span start time, UTC, `YYYY-MM-DD HH:MM:SS.fffffffff`. */
  Timestamp: string;
  /** `String`: 32 lowercase hex chars. */
  TraceId: string;
  /** `String`: 16 lowercase hex chars. */
  SpanId: string;
  /** `String`: 16 lowercase hex chars, `''` for a root span. */
  ParentSpanId: string;
  /** `String`: W3C tracestate, `''` when absent. */
  TraceState: string;
  /** `LowCardinality(String)`: span name. */
  SpanName: string;
  /** `LowCardinality(String)`: see {@link SpanKindText}. */
  SpanKind: SpanKindText;
  /** `LowCardinality(String)`: resource `service.name`, `''` when absent. */
  ServiceName: string;
  /** `Map(LowCardinality(String), String)`: resource attributes (incl. `promptline.project.id`). */
  ResourceAttributes: AttributeMap;
  /** `String`: instrumentation scope name. */
  ScopeName: string;
  /** `String`: instrumentation scope version. */
  ScopeVersion: string;
  /** `Map(LowCardinality(String), String)`: span attributes. */
  SpanAttributes: AttributeMap;
  /**
   * `UInt64`: end − start in nanoseconds. A JS number is exact below 2^53 ns (104 days);
   * pass a decimal string for larger values.
   */
  Duration: number | string;
  /** `LowCardinality(String)`: see {@link StatusCodeText}. */
  StatusCode: StatusCodeText;
  /** `String`: status description, `''` when absent. */
  StatusMessage: string;
  /** `Nested(Timestamp DateTime64(9), …)`: event times, parallel to the other `Events.*` arrays. */
  'Events.Timestamp': string[];
  /** `Events.Name LowCardinality(String)`: event names. */
  'Events.Name': string[];
  /** `Events.Attributes Map(LowCardinality(String), String)`: event attributes. */
  'Events.Attributes': AttributeMap[];
  /** `Links.TraceId String`: linked trace ids, parallel to the other `Links.*` arrays. */
  'Links.TraceId': string[];
  /** `Links.SpanId String`: linked span ids. */
  'Links.SpanId': string[];
  /** `Links.TraceState String`: linked trace states. */
  'Links.TraceState': string[];
  /** `Links.Attributes Map(LowCardinality(String), String)`: link attributes. */
  'Links.Attributes': AttributeMap[];
}

/**
 * One row of `otel_logs` (one log record). Score events (`gen_ai.evaluation.result`) arrive here
 * with `TraceId`/`SpanId` of the evaluated span. `TimestampTime` is a DEFAULT column
 * (`toDateTime(Timestamp)`) and is not sent.
 */
export interface LogRow {
  /** `DateTime64(9)`: record time (observed time when the record has none), UTC. */
  Timestamp: string;
  /** `String`: 32 lowercase hex chars, `''` when the record has no trace context. */
  TraceId: string;
  /** `String`: 16 lowercase hex chars, `''` when absent. */
  SpanId: string;
  /** `UInt8`: W3C trace flags. */
  TraceFlags: number;
  /** `LowCardinality(String)`: severity text, `''` when absent. */
  SeverityText: string;
  /** `UInt8`: OTLP severity number (0 unspecified .. 24 FATAL4). */
  SeverityNumber: number;
  /** `LowCardinality(String)`: resource `service.name`. */
  ServiceName: string;
  /** `String`: body; a non-string body is JSON-encoded. */
  Body: string;
  /** `LowCardinality(String)`: resource schema URL. */
  ResourceSchemaUrl: string;
  /** `Map(LowCardinality(String), String)`: resource attributes. */
  ResourceAttributes: AttributeMap;
  /** `LowCardinality(String)`: scope schema URL. */
  ScopeSchemaUrl: string;
  /** `String`: scope name. */
  ScopeName: string;
  /** `LowCardinality(String)`: scope version. */
  ScopeVersion: string;
  /** `Map(LowCardinality(String), String)`: scope attributes. */
  ScopeAttributes: AttributeMap;
  /** `Map(LowCardinality(String), String)`: log record attributes. */
  LogAttributes: AttributeMap;
  /** `String`: OTLP `event_name` (e.g. `gen_ai.evaluation.result`), `''` for plain logs. */
  EventName: string;
}
