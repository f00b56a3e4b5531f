import { holmAdjust } from '../stats/holm.js';
import { mannWhitneyU } from '../stats/mannWhitney.js';
import { compareProportions } from '../stats/proportions.js';
import { relativeChange, summarize } from '../stats/summary.js';
import { welchTTest } from '../stats/welch.js';
import type { ExactMoments, SideData } from './versionSample.js';

/**
 * Turns two sides' data into per-metric tests, Holm-adjusts the family, and gives each metric a
 * verdict. Shared by compareVersions and detectRegressions.
 *
 * Direction rule: lower is better for latency, TTFT, total tokens, cost per generation and error
 * rate; higher is better for every numeric score.
 *
 * @module
 */

/** Which statistical test produced the p-value. */
export type ComparisonTest =
  'mann-whitney-exact' | 'mann-whitney-normal' | 'welch-t' | 'two-proportion-z' | 'fisher-exact' | 'none';

export type Verdict = 'better' | 'worse' | 'no significant difference' | 'insufficient data';

/** Summary of one side of one metric. */
export interface SideSummary {
  /** Values the test used (after sampling), or generations for the error rate. */
  n: number;
  /** Values available before sampling (equal to `n` when the cap was not hit). */
  total: number;
  mean: number | null;
  /** `null` for metrics tested on exact moments (tokens, cost) and for the error rate. */
  median: number | null;
  /** Errors (error rate only). */
  events?: number;
}

/** The comparison of one metric between baseline and candidate. */
export interface MetricComparison {
  /** `latency_ms`, `ttft_ms`, `total_tokens`, `cost_usd`, `error_rate` or `score:<name>`. */
  metric: string;
  /** `lower` or `higher` is better. */
  better: 'lower' | 'higher';
  baseline: SideSummary;
  candidate: SideSummary;
  test: ComparisonTest;
  /** Raw two-sided p-value; `null` when not tested (insufficient data). */
  p: number | null;
  /** Holm–Bonferroni adjusted p over the tested metrics of this comparison; `null` when not tested. */
  pAdjusted: number | null;
  effect: {
    /** (candidate − baseline) / |baseline| of the median (rank tests) or of the mean / rate. */
    relativeChange: number | null;
    /** Cliff's delta (= rank-biserial correlation) of candidate vs baseline, rank tests only. */
    cliffsDelta: number | null;
    /** candidate − baseline of the mean (Welch) or of the rate (proportions). */
    difference: number | null;
  };
  verdict: Verdict;
}

export interface CompareOptions {
  /** Minimum values per side for a metric to be tested. */
  minSamples: number;
  /** Family-wise significance level (after Holm). */
  alpha: number;
}

interface Pending {
  row: MetricComparison;
  /** > 0: candidate larger; < 0: smaller. */
  sign: number;
}

const NO_EFFECT = { relativeChange: null, cliffsDelta: null, difference: null };

function rankMetric(
  metric: string,
  better: 'lower' | 'higher',
  base: number[],
  baseTotal: number,
  cand: number[],
  candTotal: number,
  opts: CompareOptions,
): Pending {
  const sb = summarize(base);
  const sc = summarize(cand);
  const baseline: SideSummary = { n: sb.n, total: baseTotal, mean: sb.mean, median: sb.median };
  const candidate: SideSummary = { n: sc.n, total: candTotal, mean: sc.mean, median: sc.median };
  if (base.length < opts.minSamples || cand.length < opts.minSamples) {
    return { row: insufficient(metric, better, baseline, candidate), sign: 0 };
  }
  const r = mannWhitneyU(base, cand);
  return {
    row: {
      metric,
      better,
      baseline,
      candidate,
      test: r.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal',
      p: r.p,
      pAdjusted: null,
      effect: {
        relativeChange: relativeChange(sb.median, sc.median),
        cliffsDelta: r.cliffsDelta,
        difference: null,
      },
      verdict: 'no significant difference',
    },
    sign: Math.sign(r.cliffsDelta),
  };
}

function momentMetric(metric: string, base: ExactMoments, cand: ExactMoments, opts: CompareOptions): Pending {
  const side = (m: ExactMoments): SideSummary => ({
    n: m.n,
    total: m.n,
    mean: m.n > 0 && Number.isFinite(m.mean) ? m.mean : null,
    median: null,
  });
  const baseline = side(base);
  const candidate = side(cand);
  const usable = (m: ExactMoments): boolean =>
    m.n >= Math.max(2, opts.minSamples) && Number.isFinite(m.mean) && m.variance >= 0;
  if (!usable(base) || !usable(cand)) {
    return { row: insufficient(metric, 'lower', baseline, candidate), sign: 0 };
  }
  const r = welchTTest(base, cand);
  return {
    row: {
      metric,
      better: 'lower',
      baseline,
      candidate,
      test: 'welch-t',
      p: r.p,
      pAdjusted: null,
      effect: {
        relativeChange: relativeChange(base.mean, cand.mean),
        cliffsDelta: null,
        difference: r.meanDifference,
      },
      verdict: 'no significant difference',
    },
    sign: Math.sign(r.meanDifference),
  };
}

function errorMetric(base: SideData, cand: SideData, opts: CompareOptions): Pending {
  const side = (d: SideData): SideSummary => ({
    n: d.generations,
    total: d.generations,
    mean: d.generations === 0 ? null : d.errors / d.generations,
    median: null,
    events: d.errors,
  });
  const baseline = side(base);
  const candidate = side(cand);
  if (base.generations < opts.minSamples || cand.generations < opts.minSamples) {
    return { row: insufficient('error_rate', 'lower', baseline, candidate), sign: 0 };
  }
  const r = compareProportions(
    { events: base.errors, trials: base.generations },
    { events: cand.errors, trials: cand.generations },
  );
  return {
    row: {
      metric: 'error_rate',
      better: 'lower',
      baseline,
      candidate,
      test: r.method === 'fisher' ? 'fisher-exact' : 'two-proportion-z',
      p: r.p,
      pAdjusted: null,
      effect: {
        relativeChange: relativeChange(baseline.mean, candidate.mean),
        cliffsDelta: null,
        difference: r.rateDifference,
      },
      verdict: 'no significant difference',
    },
    sign: Math.sign(r.rateDifference),
  };
}

function insufficient(
  metric: string,
  better: 'lower' | 'higher',
  baseline: SideSummary,
  candidate: SideSummary,
): MetricComparison {
  return {
    metric,
    better,
    baseline,
    candidate,
    test: 'none',
    p: null,
    pAdjusted: null,
    effect: NO_EFFECT,
    verdict: 'insufficient data',
  };
}

/**
 * Every metric of two sides, tested, Holm-adjusted and judged. Order: latency, TTFT, total tokens,
 * cost, error rate, then scores by name.
 */
export function compareSides(base: SideData, cand: SideData, opts: CompareOptions): MetricComparison[] {
  const pending: Pending[] = [
    rankMetric(
      'latency_ms',
      'lower',
      base.latencyMs,
      base.generations,
      cand.latencyMs,
      cand.generations,
      opts,
    ),
    rankMetric('ttft_ms', 'lower', base.ttftMs, base.ttftCount, cand.ttftMs, cand.ttftCount, opts),
    momentMetric('total_tokens', base.totalTokens, cand.totalTokens, opts),
    momentMetric('cost_usd', base.costUsd, cand.costUsd, opts),
    errorMetric(base, cand, opts),
  ];
  const names = [...new Set([...base.scores.keys(), ...cand.scores.keys()])].sort();
  for (const name of names) {
    const b = base.scores.get(name) ?? { values: [], total: 0 };
    const c = cand.scores.get(name) ?? { values: [], total: 0 };
    pending.push(rankMetric(`score:${name}`, 'higher', b.values, b.total, c.values, c.total, opts));
  }
  const tested = pending.filter((x) => x.row.p !== null);
  const adjusted = holmAdjust(tested.map((x) => x.row.p!));
  tested.forEach((x, i) => {
    const pAdj = adjusted[i]!;
    x.row.pAdjusted = pAdj;
    if (pAdj < opts.alpha && x.sign !== 0) {
      const candidateHigher = x.sign > 0;
      const higherIsBetter = x.row.better === 'higher';
      x.row.verdict = candidateHigher === higherIsBetter ? 'better' : 'worse';
    }
  });
  return pending.map((x) => x.row);
}
