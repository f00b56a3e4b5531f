import type { ClickHouseClient } from '@clickhouse/client';

/**
 * Runs one read and returns its rows. No `clickhouse_settings`: the embedded engine applies them as
 * session-wide `SET`s. 64-bit integers therefore arrive as JSON strings; read numbers through {@link n}.
 */
export async function select<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown>,
): Promise<T[]> {
  const rs = await client.query({ query, format: 'JSONEachRow', query_params: params });
  return rs.json<T>();
}

/** A number from a row value (64-bit integers arrive as strings); `null` / missing → 0. */
export function n(v: string | number | null | undefined): number {
  return v === null || v === undefined ? 0 : Number(v);
}

/** Epoch milliseconds as a `DateTime64(3, 'UTC')` parameter value. */
export function chTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** An engine UTC time (`2026-11-20 12:00:00.123456789`) as ISO-8601 with milliseconds. */
export function isoTime(ch: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(ch);
  return m ? `${m[1]}T${m[2]}${(m[3] ?? '.000').padEnd(4, '0')}Z` : ch;
}

/** An engine UTC time as epoch milliseconds (`NaN` when it is not one). */
export function epochMs(ch: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,3})?/.exec(ch);
  return m ? Date.parse(`${m[1]}T${m[2]}${m[3] ?? ''}Z`) : NaN;
}
