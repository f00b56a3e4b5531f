import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse } from '../src/openClickHouse.js';
import type { LogRow, TraceRow } from '../src/rows.js';

/** A fresh embedded engine on a temp dir; `close()` closes it and removes the dir. */
export function tempEngine(): { client: ClickHouseClient; dir: string; close: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'promptline-ch-'));
  const client = openClickHouse({ path: dir });
  return {
    client,
    dir,
    close: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function rows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow', query_params: params });
  return rs.json<T>();
}

let counter = 0;
/** Deterministic hex id of `len` chars from a counter. */
export function hexId(n: number, len: 16 | 32): string {
  return n.toString(16).padStart(len, '0');
}

/** ClickHouse text timestamp (UTC, ns) for epoch milliseconds. */
export function ts(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '') + '000000';
}

export function span(over: Partial<TraceRow> = {}): TraceRow {
  counter++;
  return {
    Timestamp: ts(Date.UTC(2026, 10, 20, 12, 0, 0)),
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

export function logRow(over: Partial<LogRow> = {}): LogRow {
  return {
    Timestamp: ts(Date.UTC(2026, 10, 20, 12, 0, 1)),
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
