import type { ClickHouseClient } from '@clickhouse/client';
import { checkPrompt, DEFAULT_PROJECT } from '../read/PromptQuery.js';
import type { WindowQuery } from '../read/PromptQuery.js';
import { QueryOptionsError } from '../read/QueryOptionsError.js';
import { checkQueryWindow } from '../read/queryWindow.js';
import { compareSides } from './compareSides.js';
import type { MetricComparison } from './compareSides.js';
import { readSide } from './versionSample.js';
import { resolveVersion } from '../read/versionInput.js';
import type { SideQuery } from './versionSample.js';

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
export interface CompareVersionsQuery extends Omit<WindowQuery, 'model' | 'rawEdgeMaxRows'> {
  /**
   * The versions as stored (`VersionMetrics.version`) or as named: `3`, `'3'`, `'v3'`, `'2.1.0'`,
   * `'2.2.0-rc1'`, `'#a1b2c3d4'`.
   */
  baseline: number | string;
  candidate: number | string;
  /** Values read per version and per sampled metric (latency, TTFT, each score). Default 5000. */
  sampleLimit?: number;
  /** Minimum values per version for a metric to be tested. Default 20. */
  minSamples?: number;
  /** Family-wise significance level after Holm–Bonferroni. Default 0.05. */
  alpha?: number;
}

/** Result of {@link compareVersions}. */
export interface VersionComparison {
  prompt: string;
  /** Stored version numbers of the two sides (see `VersionMetrics.version`). */
  baseline: number;
  candidate: number;
  /** The two versions as shown: `3`, `2.1.0`, `#a1b2c3d4`. */
  baselineName: string;
  candidateName: string;
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
    throw new QueryOptionsError(`compare: sampleLimit must be an integer in 2…1000000 (got ${sampleLimit})`);
  }
  if (!Number.isInteger(minSamples) || minSamples < 2) {
    throw new QueryOptionsError(`compare: minSamples must be an integer ≥ 2 (got ${minSamples})`);
  }
  if (!(alpha > 0 && alpha < 1))
    throw new QueryOptionsError(`compare: alpha must be in (0, 1) (got ${alpha})`);
  return { sampleLimit, minSamples, alpha };
}

/**
 * Compares a candidate version of a prompt with a baseline version over one window: latency and
 * TTFT (median; Mann–Whitney U on samples), total tokens and cost per successful generation (mean;
 * Welch's t on exact moments), error rate and 0/1 scores (rate; two-proportion z, or Fisher's exact
 * test for small counts) and other numeric scores (mean; Welch's t), higher scores being better.
 * p-values are Holm–Bonferroni adjusted over the tested metrics; a verdict is `better`/`worse` only
 * when the adjusted p is below `alpha` and the headline statistic moved that way. Each side's
 * headline comes with a confidence interval at level 1 − `alpha`.
 *
 * Versions are given as stored or as named (`'2.1.0'`, `'2.2.0-rc1'`).
 *
 * @example
 * const r = await compareVersions(client, {
 *   promptName: 'support-reply', baseline: 2, candidate: 3, // or baseline: '2.1.0', candidate: '2.2.0-rc1'
 *   from: new Date(Date.now() - 7 * 86_400_000), to: new Date(),
 * });
 * const worse = r.metrics.filter((m) => m.verdict === 'worse'); // each with m.pAdjusted and the effect size
 */
export async function compareVersions(
  client: ClickHouseClient,
  q: CompareVersionsQuery,
): Promise<VersionComparison> {
  checkPrompt(q, 'compare');
  const baseline = resolveVersion(q.baseline, 'compare: baseline');
  const candidate = resolveVersion(q.candidate, 'compare: candidate');
  checkQueryWindow('compare', q.from, q.to);
  const opts = resolveCompareOptions(q);
  const side = (version: number): SideQuery => ({
    projectId: q.projectId ?? DEFAULT_PROJECT,
    promptName: q.promptName,
    version,
    from: q.from,
    to: q.to,
    database: q.database ?? 'default',
    sampleLimit: opts.sampleLimit,
    ...(q.environment === undefined ? {} : { environment: q.environment }),
    ...(q.label === undefined ? {} : { label: q.label }),
  });
  // One side after the other: a comparison holds one side's read in the engine at a time.
  const base = await readSide(client, side(baseline.id));
  const cand = await readSide(client, side(candidate.id));
  return {
    prompt: q.promptName,
    baseline: baseline.id,
    candidate: candidate.id,
    baselineName: base.versionName || baseline.name,
    candidateName: cand.versionName || candidate.name,
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
