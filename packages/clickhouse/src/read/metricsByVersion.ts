import type { ClickHouseClient } from '@clickhouse/client';
import { mergedRows, quantiles } from './mergedRows.js';
import type { Group, Percentiles } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { checkWindow, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { scoresByVersion } from './scoresByVersion.js';
import type { ScoreSummary } from './scoresByVersion.js';
import { isoTime, n } from './select.js';

/** p50/p90/p95/p99 and mean of one measure. */
export interface Quantiles extends Percentiles {
  mean: number;
}

/** Metrics of one prompt version in a window. */
export interface VersionMetrics {
  version: number;
  requests: number;
  errors: number;
  /** errors / requests. */
  errorRate: number;
  /** Latency in ms over all generations. */
  latencyMs: Quantiles;
  /** Time to first chunk in ms over streamed generations; `null` when none streamed. */
  ttftMs: (Quantiles & { count: number }) | null;
  /** input+output tokens per successful generation. */
  totalTokens: Percentiles;
  /** USD per successful generation. */
  costUsd: Percentiles;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  reasoningTokens: number;
  totalCostUsd: number;
  inputCostUsd: number;
  outputCostUsd: number;
  /** Generations that used tokens but have no cost (their model has no price): `totalCostUsd` leaves them out. */
  unpricedCalls: number;
  /** Generations with a validation result. */
  validated: number;
  /** passed / validated; `null` when nothing was validated. */
  validationPassRate: number | null;
  /** ISO-8601 UTC of the first / last generation in the window. */
  firstSeen: string;
  lastSeen: string;
  /** Scores by name (empty unless `includeScores`). */
  scores: ScoreSummary[];
}

/** Options of {@link metricsByVersion}. */
export interface MetricsByVersionQuery extends WindowQuery {
  /** Also read score summaries (one more query). Default `true`. */
  includeScores?: boolean;
}

/**
 * Metrics per prompt version for one prompt in a window, newest version first.
 *
 * @example
 * const rows = await metricsByVersion(client, {
 *   promptName: 'support-reply', from: new Date(Date.now() - 7 * 86_400_000), to: new Date(),
 * });
 * const p95 = rows[0]?.latencyMs.p95; // newest version first
 */
export async function metricsByVersion(
  client: ClickHouseClient,
  q: MetricsByVersionQuery,
): Promise<VersionMetrics[]> {
  checkWindow(q);
  const db = queryDatabase(q);
  const rows = (
    await mergedRows(client, db, q, ['prompt_version'], planSegments(q.from.getTime(), q.to.getTime()))
  ).sort((a, b) => n(b.prompt_version as number) - n(a.prompt_version as number));
  const scores =
    q.includeScores === false ? new Map<number, ScoreSummary[]>() : await scoresByVersion(client, q);
  return rows.map((r) => {
    const version = n(r.prompt_version as number);
    return toVersionMetrics(r, version, scores.get(version) ?? []);
  });
}

/** A merged group's figures as {@link VersionMetrics} (shared with the prompt page read). */
export function toVersionMetrics(r: Group, version: number, scores: ScoreSummary[]): VersionMetrics {
  const requests = n(r.requests);
  const errors = n(r.errors);
  const ttftCount = n(r.ttft_count);
  const validated = n(r.validated);
  return {
    version,
    requests,
    errors,
    errorRate: requests === 0 ? 0 : errors / requests,
    latencyMs: { ...quantiles(r.latency_h), mean: requests === 0 ? 0 : r.latency_ms_sum / requests },
    ttftMs:
      ttftCount === 0 ? null : { ...quantiles(r.ttft_h), mean: r.ttft_ms_sum / ttftCount, count: ttftCount },
    totalTokens: quantiles(r.tokens_h),
    costUsd: quantiles(r.cost_h),
    inputTokens: n(r.input_tokens),
    outputTokens: n(r.output_tokens),
    cacheReadTokens: n(r.cache_read_tokens),
    reasoningTokens: n(r.reasoning_tokens),
    totalCostUsd: r.cost_usd,
    inputCostUsd: r.input_cost_usd,
    outputCostUsd: r.output_cost_usd,
    unpricedCalls: n(r.unpriced),
    validated,
    validationPassRate: validated === 0 ? null : n(r.validation_passed) / validated,
    firstSeen: isoTime(r.first_seen),
    lastSeen: isoTime(r.last_seen),
    scores,
  };
}
