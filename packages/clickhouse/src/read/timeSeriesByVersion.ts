import type { ClickHouseClient } from '@clickhouse/client';
import { groupHistLevels, mergedGroups } from './mergedRows.js';
import type { Group, MergeRole } from './mergedRows.js';
import { DAY, HOUR, planSegments } from './planSegments.js';
import type { Segment } from './planSegments.js';
import { checkWindow, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { isoTime, n } from './select.js';
import { versionName } from '../schema/promptVersion.js';

/** One point of a per-version time series. */
export interface TimeSeriesPoint {
  /** Bucket start, ISO-8601 UTC. */
  bucket: string;
  /** Stored version number (see `VersionMetrics.version`). */
  version: number;
  /** The version as shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  versionName: string;
  requests: number;
  errors: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  /** `null` when nothing streamed in the bucket. */
  ttftP50Ms: number | null;
  totalTokens: number;
  costUsd: number;
}

/** Longest bucket of {@link timeSeriesByVersion} (366 days). */
export const MAX_INTERVAL_SECONDS = 366 * 86_400;
/** Most buckets in one series. */
export const MAX_TIME_SERIES_BUCKETS = 10_000;

/** Options of {@link timeSeriesByVersion}. */
export interface TimeSeriesQuery extends WindowQuery {
  /** Bucket width in seconds (≥ 60). Whole hours/days read the aggregates (edges from generations); others read generations. */
  intervalSeconds: number;
}

/**
 * Per-version time series at a fixed interval (buckets aligned to the Unix epoch, UTC).
 *
 * @example
 * const points = await timeSeriesByVersion(client, { promptName: 'support-reply', from, to, intervalSeconds: 3600 });
 */
export async function timeSeriesByVersion(
  client: ClickHouseClient,
  q: TimeSeriesQuery,
): Promise<TimeSeriesPoint[]> {
  checkWindow(q);
  const role = seriesRole(q);
  const [groups] = await mergedGroups(client, queryDatabase(q), q, [role]);
  return toTimeSeriesPoints(groups ?? []);
}

/**
 * What a time series reads (checked options): per version and bucket, only the histograms its
 * points use (latency, TTFT). Aggregates answer a bucket exactly when buckets are whole hours (days)
 * and the window is aligned. Whole-hour intervals read whole hours from the hourly aggregates (whole
 * days from the daily ones when the interval is whole days) and the ragged window edges from
 * generations; the pieces of one bucket merge. Other intervals read generations.
 */
export function seriesRole(q: TimeSeriesQuery): MergeRole {
  if (
    !Number.isInteger(q.intervalSeconds) ||
    q.intervalSeconds < 60 ||
    q.intervalSeconds > MAX_INTERVAL_SECONDS
  ) {
    throw new QueryOptionsError(
      `timeSeriesByVersion: intervalSeconds must be an integer from 60 to ${MAX_INTERVAL_SECONDS} (got ${q.intervalSeconds})`,
    );
  }
  const buckets = Math.ceil((q.to.getTime() - q.from.getTime()) / (q.intervalSeconds * 1000));
  if (buckets > MAX_TIME_SERIES_BUCKETS) {
    throw new QueryOptionsError(
      `timeSeriesByVersion: the window holds ${buckets} intervals of ${q.intervalSeconds} s, at most ${MAX_TIME_SERIES_BUCKETS}; widen the interval`,
    );
  }
  const from = q.from.getTime();
  const to = q.to.getTime();
  const ms = q.intervalSeconds * 1000;
  let segments: Segment[];
  if (ms % HOUR === 0) {
    segments = planSegments(from, to).map((s) =>
      s.source === '1d' && ms % DAY !== 0 ? { ...s, source: '1h' as const } : s,
    );
  } else segments = [{ source: 'raw', from, to }];
  return {
    keys: ['prompt_version'],
    segments,
    bucket: {
      ms,
      expr: (col) => `toStartOfInterval(${col}, toIntervalSecond({interval:UInt32}))`,
      param: { interval: q.intervalSeconds },
    },
    histograms: ['latency_h', 'ttft_h'],
    // Each point is one merged row: its percentiles are read from the row as it arrived.
    packedHistograms: true,
  };
}

const SERIES_LEVELS = [0.5, 0.95, 0.99];

/** Groups of {@link seriesRole} as points, oldest bucket first, then by version. */
export function toTimeSeriesPoints(groups: readonly Group[]): TimeSeriesPoint[] {
  const rows = [...groups].sort((a, b) =>
    a.bucket === b.bucket
      ? n(a.prompt_version as number) - n(b.prompt_version as number)
      : String(a.bucket) < String(b.bucket)
        ? -1
        : 1,
  );
  return rows.map((r) => {
    const [p50, p95, p99] = groupHistLevels(r, 'latency_h', SERIES_LEVELS);
    return {
      bucket: isoTime(String(r.bucket)),
      version: n(r.prompt_version as number),
      versionName: versionName(n(r.prompt_version as number), r.version_name),
      requests: n(r.requests),
      errors: n(r.errors),
      latencyP50Ms: n(p50),
      latencyP95Ms: n(p95),
      latencyP99Ms: n(p99),
      ttftP50Ms: n(r.ttft_count) === 0 ? null : n(groupHistLevels(r, 'ttft_h', [0.5])[0]),
      totalTokens: n(r.input_tokens) + n(r.output_tokens),
      costUsd: r.cost_usd,
    };
  });
}
