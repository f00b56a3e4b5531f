import type { ClickHouseClient } from '@clickhouse/client';
import { compareSides } from './compareSides.js';
import type { MetricComparison } from './compareSides.js';
import { DEFAULT_PROJECT } from './queries.js';
import { readSide } from './versionSample.js';
import type { SideQuery } from './versionSample.js';
import { checkQueryWindow, InvalidQueryError } from './InvalidQueryError.js';

/**
 * Statistical comparison of two versions of one prompt over the same window.
 *
 * @module
 */

/** Default cap on values read per side and per sampled metric. */
export const DEFAULT_SAMPLE_LIMIT = 5000;
/** Default minimum values per side for a metric to be tested. */
export const DEFAULT_MIN_SAMPLES = 20;
/** Default family-wise significance level. */
export const DEFAULT_ALPHA = 0.05;

/** Options of {@link compareVersions}. */
export interface CompareVersionsQuery {
  /** Project id. Default `default` (the collector's anonymous project). */
  project?: string;
  prompt: string;
  baseline: number;
  candidate: number;
  /** Window `[from, to)`, applied to both versions. */
  from: Date;
  to: Date;
  /** Only this environment. Default: all. */
  environment?: string;
  /** Only generations served under this label. Default: all. */
  label?: string;
  /** Values read per version and per sampled metric (latency, TTFT, each score). Default 5000. */
  sampleLimit?: number;
  /** Minimum values per version for a metric to be tested. Default 20. */
  minSamples?: number;
  /** Family-wise significance level after Holm–Bonferroni. Default 0.05. */
  alpha?: number;
  /** Database. Default `default`. */
  database?: string;
}

/** Result of {@link compareVersions}. */
export interface VersionComparison {
  prompt: string;
  baseline: number;
  candidate: number;
  from: string;
  to: string;
  alpha: number;
  sampleLimit: number;
  minSamples: number;
  /** Generations of each version in the window. */
  baselineGenerations: number;
  candidateGenerations: number;
  metrics: MetricComparison[];
}

/** Validated numeric options shared with detectRegressions. */
export function resolveCompareOptions(q: { sampleLimit?: number; minSamples?: number; alpha?: number }): {
  sampleLimit: number;
  minSamples: number;
  alpha: number;
} {
  const sampleLimit = q.sampleLimit ?? DEFAULT_SAMPLE_LIMIT;
  const minSamples = q.minSamples ?? DEFAULT_MIN_SAMPLES;
  const alpha = q.alpha ?? DEFAULT_ALPHA;
  if (!Number.isInteger(sampleLimit) || sampleLimit < 2 || sampleLimit > 1_000_000) {
    throw new InvalidQueryError(`compare: sampleLimit must be an integer in 2…1000000 (got ${sampleLimit})`);
  }
  if (!Number.isInteger(minSamples) || minSamples < 2) {
    throw new InvalidQueryError(`compare: minSamples must be an integer ≥ 2 (got ${minSamples})`);
  }
  if (!(alpha > 0 && alpha < 1))
    throw new InvalidQueryError(`compare: alpha must be in (0, 1) (got ${alpha})`);
  return { sampleLimit, minSamples, alpha };
}

function checkVersion(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1 || v > 0xffffffff) {
    throw new InvalidQueryError(`compare: ${name} must be a positive integer version (got ${v})`);
  }
}

/**
 * Compares a candidate version of a prompt with a baseline version over one window: latency and
 * TTFT (Mann–Whitney U on samples), total tokens and cost per successful generation (Welch's t on
 * exact moments), error rate (two-proportion z, or Fisher's exact test for small counts) and every
 * numeric score (Mann–Whitney U, higher is better). p-values are Holm–Bonferroni adjusted over the
 * tested metrics; a verdict is `better`/`worse` only when the adjusted p is below `alpha`.
 *
 * @example
 * const r = await compareVersions(client, {
 *   prompt: 'support-reply', baseline: 2, candidate: 3,
 *   from: new Date(Date.now() - 7 * 86_400_000), to: new Date(),
 * });
 * const worse = r.metrics.filter((m) => m.verdict === 'worse'); // each with m.pAdjusted and the effect size
 */
export async function compareVersions(
  client: ClickHouseClient,
  q: CompareVersionsQuery,
): Promise<VersionComparison> {
  if (typeof q.prompt !== 'string' || q.prompt === '')
    throw new InvalidQueryError('compare: prompt is required');
  checkVersion('baseline', q.baseline);
  checkVersion('candidate', q.candidate);
  checkQueryWindow('compare', q.from, q.to);
  const opts = resolveCompareOptions(q);
  const side = (version: number): SideQuery => ({
    projectId: q.project ?? DEFAULT_PROJECT,
    promptName: q.prompt,
    version,
    from: q.from,
    to: q.to,
    database: q.database ?? 'default',
    sampleLimit: opts.sampleLimit,
    ...(q.environment === undefined ? {} : { environment: q.environment }),
    ...(q.label === undefined ? {} : { label: q.label }),
  });
  // One side after the other: the embedded engine serves one query at a time per process.
  const base = await readSide(client, side(q.baseline));
  const cand = await readSide(client, side(q.candidate));
  return {
    prompt: q.prompt,
    baseline: q.baseline,
    candidate: q.candidate,
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    alpha: opts.alpha,
    sampleLimit: opts.sampleLimit,
    minSamples: opts.minSamples,
    baselineGenerations: base.generations,
    candidateGenerations: cand.generations,
    metrics: compareSides(base, cand, opts),
  };
}
