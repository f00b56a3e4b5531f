import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import type { LabelShare, VersionMetrics as StoredVersionMetrics } from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import type { VersionMetrics } from '../metricsReport.js';
import { toReportVersion } from './clickhouseSource.js';
import type { MetricsSource, VersionMetricsQuery } from './MetricsSource.js';

const TIMEOUT_MS = 30_000;

async function getJson<T>(url: URL, apiKey: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(`cannot reach the collector at ${url.origin}: ${(error as Error).message}`, {
      hint: 'is `promptline up` still running? Check the URL (--collector / PROMPTLINE_COLLECTOR_URL)',
      cause: error,
    });
  }
  const text = await res.text();
  if (!res.ok) {
    let reason = text.trim();
    try {
      reason = (JSON.parse(text) as { error?: string }).error ?? reason;
    } catch {
      // not JSON: keep the text
    }
    const hint =
      res.status === 401 || res.status === 403
        ? 'the read API needs a key with the read scope (--api-key / PROMPTLINE_API_KEY; `promptline up` prints one)'
        : res.status === 404
          ? 'this collector does not serve the read API (extensions.promptline_read_api.enabled); read ClickHouse with --clickhouse'
          : undefined;
    throw new CliError(
      `the collector answered ${res.status} for ${url.pathname}: ${reason}`,
      hint === undefined ? {} : { hint },
    );
  }
  return JSON.parse(text) as T;
}

/** Reads through a running collector's typed read API (`/api/v1/metrics`, `/api/v1/labels/share`). */
export function collectorSource(baseUrl: string, apiKey: string): MetricsSource {
  const base = baseUrl.replace(/\/+$/, '');
  const url = (path: string, query: VersionMetricsQuery): URL => {
    const u = new URL(`${base}${path}`);
    u.searchParams.set('prompt', query.prompt);
    u.searchParams.set('from', query.from.toISOString());
    u.searchParams.set('to', query.to.toISOString());
    return u;
  };
  // The collector's read-only SQL endpoint speaks ClickHouse's HTTP interface (password = API key).
  // The client's own logger stays off: errors reach the user once, through the CLI's output.
  const client = createClient({
    url: base,
    username: 'default',
    password: apiKey,
    request_timeout: TIMEOUT_MS,
    log: { level: ClickHouseLogLevel.OFF },
  });
  return {
    name: `collector:${base}`,
    sql: { client, projectId: undefined },
    async versionMetrics(query: VersionMetricsQuery): Promise<VersionMetrics[]> {
      const metrics = await getJson<{ versions: StoredVersionMetrics[] }>(
        url('/api/v1/metrics', query),
        apiKey,
      );
      const shares = await getJson<{ labels: LabelShare[] }>(url('/api/v1/labels/share', query), apiKey);
      const labels = new Map<number, string[]>();
      for (const share of shares.labels) {
        if (share.label === '') continue;
        labels.set(share.version, [...(labels.get(share.version) ?? []), share.label]);
      }
      return metrics.versions.map((row) => toReportVersion(row, labels.get(row.version) ?? []));
    },
    close: () => client.close(),
  };
}
