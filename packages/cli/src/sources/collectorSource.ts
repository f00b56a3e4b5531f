import type {
  BaselineCheckReport,
  CompareVersionsQuery,
  DetectRegressionsQuery,
  LabelShare,
  MetricsBreakdown,
  RegressionReport,
  UnlinkedCount,
  VersionComparison,
  VersionMetrics as StoredVersionMetrics,
} from '@promptline/clickhouse';

import { CliError } from '../CliError.js';
import type { VersionMetrics } from '../metricsReport.js';
import { toReportBreakdown, toReportVersion } from './clickhouseSource.js';
import type { MetricsSource, UnlinkedQuery, VersionMetricsQuery } from './MetricsSource.js';

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

/** The test options of compare / regressions as the read API's parameters. */
function testParams(
  u: URL,
  q: { sampleLimit?: number; minSamples?: number; alpha?: number; environment?: string },
): void {
  if (q.sampleLimit !== undefined) u.searchParams.set('sample_limit', String(q.sampleLimit));
  if (q.minSamples !== undefined) u.searchParams.set('min_samples', String(q.minSamples));
  if (q.alpha !== undefined) u.searchParams.set('alpha', String(q.alpha));
  if (q.environment !== undefined) u.searchParams.set('environment', q.environment);
}

/**
 * Reads through a running collector's typed read API (`/api/v1/metrics`, `/metrics/breakdown`,
 * `/labels/share`, `/compare`, `/regressions`, `/checks/baseline`, `/unlinked`) with a `read` key;
 * the key's project is the one read.
 */
export function collectorSource(baseUrl: string, apiKey: string): MetricsSource {
  const base = baseUrl.replace(/\/+$/, '');
  const url = (path: string, query: VersionMetricsQuery): URL => {
    const u = new URL(`${base}${path}`);
    u.searchParams.set('prompt', query.prompt);
    u.searchParams.set('from', query.from.toISOString());
    u.searchParams.set('to', query.to.toISOString());
    return u;
  };
  return {
    name: `collector:${base}`,
    async versionMetrics(query: VersionMetricsQuery): Promise<VersionMetrics[]> {
      const metricsUrl = url('/api/v1/metrics', query);
      if (query.passScore !== undefined) metricsUrl.searchParams.set('pass_score', query.passScore);
      const metrics = await getJson<{ versions: StoredVersionMetrics[] }>(metricsUrl, apiKey);
      const shares = await getJson<{ labels: LabelShare[] }>(url('/api/v1/labels/share', query), apiKey);
      const labels = new Map<number, string[]>();
      for (const share of shares.labels) {
        if (share.label === '') continue;
        labels.set(share.version, [...(labels.get(share.version) ?? []), share.label]);
      }
      return metrics.versions.map((row) => toReportVersion(row, labels.get(row.version) ?? []));
    },
    async unlinked(q: UnlinkedQuery): Promise<{ project: string; unlinked: UnlinkedCount[] }> {
      const u = new URL(`${base}/api/v1/unlinked`);
      if (q.prompt !== undefined) u.searchParams.set('prompt', q.prompt);
      u.searchParams.set('from', q.from.toISOString());
      u.searchParams.set('to', q.to.toISOString());
      return getJson<{ project: string; unlinked: UnlinkedCount[] }>(u, apiKey);
    },
    async compare(q: CompareVersionsQuery): Promise<VersionComparison & { project: string }> {
      const u = new URL(`${base}/api/v1/compare`);
      u.searchParams.set('prompt', q.promptName);
      u.searchParams.set('baseline', String(q.baseline));
      u.searchParams.set('candidate', String(q.candidate));
      u.searchParams.set('from', q.from.toISOString());
      u.searchParams.set('to', q.to.toISOString());
      if (q.label !== undefined) u.searchParams.set('label', q.label);
      testParams(u, q);
      return getJson<VersionComparison & { project: string }>(u, apiKey);
    },
    async regressions(q: DetectRegressionsQuery): Promise<RegressionReport & { project: string }> {
      const u = new URL(`${base}/api/v1/regressions`);
      u.searchParams.set('prompt', q.promptName);
      u.searchParams.set('label', q.label);
      u.searchParams.set('from', q.from.toISOString());
      u.searchParams.set('to', q.to.toISOString());
      if (q.maxWindowMs !== undefined)
        u.searchParams.set('max_window', `${Math.round(q.maxWindowMs / 1000)}s`);
      if (q.maxMoves !== undefined) u.searchParams.set('max_moves', String(q.maxMoves));
      testParams(u, q);
      return getJson<RegressionReport & { project: string }>(u, apiKey);
    },
    async breakdown(query) {
      const u = url('/api/v1/metrics/breakdown', query);
      u.searchParams.set('by', query.by);
      if (query.top !== undefined) u.searchParams.set('top', String(query.top));
      return toReportBreakdown(await getJson<MetricsBreakdown>(u, apiKey));
    },
    async baselineChecks(query) {
      const u = new URL(`${base}/api/v1/checks/baseline`);
      if (query.now !== undefined) u.searchParams.set('at', query.now.toISOString());
      if (query.promptName !== undefined) u.searchParams.set('prompt', query.promptName);
      if (query.label !== undefined) u.searchParams.set('label', query.label);
      return getJson<BaselineCheckReport & { project: string }>(u, apiKey);
    },
    close: () => Promise.resolve(),
  };
}
