import type { LogRow, TraceRow } from '@promptline/clickhouse';

/**
 * Row builders: `otel_traces` / `otel_logs` rows in the exporter's layout with every field set, so a
 * test writes only what it cares about.
 */

let counter = 0;
/** Deterministic hex id of `len` chars from a counter. */
export function hexId(n: number, len: 16 | 32): string {
  return n.toString(16).padStart(len, '0');
}

/** ClickHouse text timestamp (UTC, ns) for epoch milliseconds. */
export function chTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '') + '000000';
}

/** A span row (a `Client` span of service `svc`, 1 ms long, fresh ids); `over` replaces fields. */
export function traceRow(over: Partial<TraceRow> = {}): TraceRow {
  counter++;
  return {
    Timestamp: chTimestamp(Date.UTC(2026, 10, 20, 12, 0, 0)),
    TraceId: hexId(counter, 32),
    SpanId: hexId(counter, 16),
    ParentSpanId: '',
    TraceState: '',
    SpanName: 'chat gpt-4o-mini',
    SpanKind: 'Client',
    ServiceName: 'svc',
    ResourceAttributes: { 'service.name': 'svc' },
    ScopeName: 'test',
    ScopeVersion: '0',
    SpanAttributes: {},
    Duration: 1_000_000,
    StatusCode: 'Unset',
    StatusMessage: '',
    'Events.Timestamp': [],
    'Events.Name': [],
    'Events.Attributes': [],
    'Links.TraceId': [],
    'Links.SpanId': [],
    'Links.TraceState': [],
    'Links.Attributes': [],
    ...over,
  };
}

/** A log row (INFO, service `svc`, no trace); `over` replaces fields. */
export function logRow(over: Partial<LogRow> = {}): LogRow {
  return {
    Timestamp: chTimestamp(Date.UTC(2026, 10, 20, 12, 0, 1)),
    TraceId: '',
    SpanId: '',
    TraceFlags: 1,
    SeverityText: 'INFO',
    SeverityNumber: 9,
    ServiceName: 'svc',
    Body: '',
    ResourceSchemaUrl: '',
    ResourceAttributes: { 'service.name': 'svc' },
    ScopeSchemaUrl: '',
    ScopeName: 'test',
    ScopeVersion: '0',
    ScopeAttributes: {},
    LogAttributes: {},
    EventName: '',
    ...over,
  };
}
