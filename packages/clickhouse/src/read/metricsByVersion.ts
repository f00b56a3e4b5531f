import type { ClickHouseClient } from '@clickhouse/client';
import { meanInterval, wilsonInterval } from '../stats/intervals.js';
import type { Interval } from '../stats/intervals.js';
import { histCount, histPairs, histQuantileInterval } from './histIntervals.js';
import { mergedRows, quantiles } from './mergedRows.js';
import type { Group, Hist, Percentiles } from './mergedRows.js';
import { planSegments } from './planSegments.js';
import { checkWindow, queryDatabase } from './PromptQuery.js';
import type { WindowQuery } from './PromptQuery.js';
import { scoresByVersion } from './scoresByVersion.js';
import type { ScoreSummary } from './scoresByVersion.js';
import { QueryOptionsError } from './QueryOptionsError.js';
import { isoTime, n } from './select.js';
import { newestVersionFirst } from './versionInput.js';
import { versionName } from '../schema/promptVersion.js';

/** p50/p90/p95/p99 and mean of one measure. */
export interface Quantiles extends Percentiles {
  mean: number;
}

/** Metrics of one prompt version in a window. */
export interface VersionMetrics {
  /**
   * The version's stored number: the version itself for whole-number versions, a stable id (≥ 2^31)
   * for named ones (`2.1.0`, implicit `#a1b2c3d4`); pass either this or {@link versionName} to
   * `compareVersions`.
   */
  version: number;
  /** The version as sent and shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  versionName: string;
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
  /**
   * Cost per passing outcome: all the version's cost divided by the generations that passed —
   * validation passed (`basis: 'validation'`) or the chosen boolean score true (`score:<name>`);
   * `null` when there is no basis (nothing validated and no `passScore`).
   */
  costPerPass: CostPerPass | null;
  /**
   * 95% confidence intervals by figure: `errorRate`, `validationPassRate` (Wilson);
   * `latencyMs.p50|p90|p95|p99`, `ttftMs.p50|p95`, `totalTokens.p50`, `costUsd.p50|p95`
   * (order statistics from the histogram, bounds within 0.5%); `latencyMs.mean`, `ttftMs.mean`
   * (t interval, variance from the histogram). A figure without enough values has none.
   */
  intervals: Record<string, Interval>;
}

/** See {@link VersionMetrics.costPerPass}. */
export interface CostPerPass {
  /** `validation`, or `score:<name>` for a boolean score. */
  basis: string;
  /** Generations that passed (validation passed, or true scores). */
  passes: number;
  /** Generations with a result (validated, or scored with a value). */
  judged: number;
  /** totalCostUsd / passes; `null` when nothing passed. */
  usd: number | null;
}

/** Options of {@link metricsByVersion}. */
export interface MetricsByVersionQuery extends WindowQuery {
  /** Also read score summaries (one more query). Default `true`. */
  includeScores?: boolean;
  /**
   * A boolean score whose true values count as passes for `costPerPass` (instead of validation).
   * Needs `includeScores`.
   */
  passScore?: string;
}

/** The intervals of one merged group (see {@link VersionMetrics.intervals}). */
export function groupIntervals(r: Group): Record<string, Interval> {
  const out: Record<string, Interval> = {};
  const put = (name: string, i: Interval | null): void => {
    if (i !== null) out[name] = i;
  };
  const requests = n(r.requests);
  if (requests > 0) put('errorRate', wilsonInterval({ events: n(r.errors), trials: requests }));
  const validated = n(r.validated);
  if (validated > 0)
    put('validationPassRate', wilsonInterval({ events: n(r.validation_passed), trials: validated }));
  const hist = (name: string, h: Hist, levels: Array<[string, number]>, sum?: number): void => {
    const pairs = histPairs(h);
    for (const [key, q] of levels) put(`${name}.${key}`, histQuantileInterval(pairs, q));
    const count = histCount(pairs);
    if (sum === undefined || count < 2) return;
    const mean = sum / count;
    let ss = 0;
    for (const [v, c] of pairs) ss += (v - mean) * (v - mean) * c;
    put(`${name}.mean`, meanInterval({ n: count, mean, variance: ss / (count - 1) }));
  };
  hist(
    'latencyMs',
    r.latency_h,
    [
      ['p50', 0.5],
      ['p90', 0.9],
      ['p95', 0.95],
      ['p99', 0.99],
    ],
    r.latency_ms_sum,
  );
  hist(
    'ttftMs',
    r.ttft_h,
    [
      ['p50', 0.5],
      ['p95', 0.95],
    ],
    r.ttft_ms_sum,
  );
  hist('totalTokens', r.tokens_h, [['p50', 0.5]]);
  hist('costUsd', r.cost_h, [
    ['p50', 0.5],
    ['p95', 0.95],
  ]);
  return out;
}

/** Cost per passing outcome of one version (see {@link VersionMetrics.costPerPass}). */
function costPerPass(
  r: Group,
  scores: readonly ScoreSummary[],
  passScore: string | undefined,
): CostPerPass | null {
  const cost = r.cost_usd;
  if (passScore !== undefined) {
    const s = scores.find((x) => x.name === passScore);
    const passes = s?.passRate?.events ?? 0;
    return {
      basis: `score:${passScore}`,
      passes,
      judged: s?.passRate?.n ?? 0,
      usd: passes === 0 ? null : cost / passes,
    };
  }
  const validated = n(r.validated);
  if (validated === 0) return null;
  const passes = n(r.validation_passed);
  return { basis: 'validation', passes, judged: validated, usd: passes === 0 ? null : cost / passes };
}

/**
 * Metrics per prompt version for one prompt in a window, newest version first (whole-number versions
 * by number, then named versions by first generation in the window).
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
  if (q.passScore !== undefined && (typeof q.passScore !== 'string' || q.passScore === ''))
    throw new QueryOptionsError('metrics: passScore must be a score name');
  if (q.passScore !== undefined && q.includeScores === false)
    throw new QueryOptionsError('metrics: passScore needs includeScores');
  const db = queryDatabase(q);
  const rows = await mergedRows(
    client,
    db,
    q,
    ['prompt_version'],
    planSegments(q.from.getTime(), q.to.getTime()),
  );
  const scores =
    q.includeScores === false ? new Map<number, ScoreSummary[]>() : await scoresByVersion(client, q);
  if (q.passScore !== undefined) {
    for (const list of scores.values()) {
      const s = list.find((x) => x.name === q.passScore);
      if (s !== undefined && s.kind !== 'boolean')
        throw new QueryOptionsError(
          `metrics: passScore "${q.passScore}" is a ${s.kind} score; cost per pass needs a boolean score`,
        );
    }
  }
  return rows
    .map((r) => {
      const version = n(r.prompt_version as number);
      return toVersionMetrics(r, version, scores.get(version) ?? [], q.passScore);
    })
    .sort(newestVersionFirst);
}

/** A merged group's figures as {@link VersionMetrics}. */
export function toVersionMetrics(
  r: Group,
  version: number,
  scores: ScoreSummary[],
  passScore?: string,
): VersionMetrics {
  const requests = n(r.requests);
  const errors = n(r.errors);
  const ttftCount = n(r.ttft_count);
  const validated = n(r.validated);
  return {
    version,
    versionName: versionName(version, r.version_name),
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
    costPerPass: costPerPass(r, scores, passScore),
    intervals: groupIntervals(r),
  };
}
