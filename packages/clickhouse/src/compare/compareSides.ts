import type { ScoreDataType } from '@promptline/semconv';
import { compareCategories } from '../stats/categories.js';
import { rateEffects, standardizedMeanDifference } from '../stats/effectSize.js';
import { hodgesLehmann } from '../stats/hodgesLehmann.js';
import { holmAdjust } from '../stats/holm.js';
import {
  meanInterval,
  newcombeInterval,
  quantileInterval,
  welchInterval,
  wilsonInterval,
} from '../stats/intervals.js';
import type { Interval } from '../stats/intervals.js';
import { mannWhitneyU } from '../stats/mannWhitney.js';
import { compareProportions } from '../stats/proportions.js';
import { scoreKind } from '../stats/scoreKind.js';
import type { ScoreKind } from '../stats/scoreKind.js';
import { relativeChange, summarize } from '../stats/summary.js';
import { welchTTest } from '../stats/welch.js';
import type { Moments } from '../stats/welch.js';
import type { ExactMoments, SideData } from './versionSample.js';

/**
 * Turns two sides' data into per-metric tests, Holm-adjusts the family, and gives each metric a
 * verdict. Shared by compareVersions and detectRegressions.
 *
 * Each metric has one headline statistic, and its test is about that statistic:
 * - latency, TTFT: the median; Mann–Whitney U, with the Hodges–Lehmann shift and its interval;
 * - total tokens, cost per generation: the mean (over every row); Welch's t;
 * - error rate and boolean scores (0/1 values): the rate; Fisher's exact test for small expected
 *   counts, else the two-proportion z-test, with Newcombe's interval of the difference;
 * - numeric scores: the mean; Welch's t (Mann–Whitney reported beside it, not deciding);
 * - categorical scores: the counts per label; chi-square test of homogeneity (exact / pooled
 *   fallbacks), verdict `changed` since labels have no better or worse.
 *
 * Direction rule: lower is better for latency, TTFT, total tokens, cost per generation and error
 * rate; higher is better for every numeric and boolean score.
 *
 * Verdict rule: `better`/`worse` only when the Holm-adjusted p is below alpha AND the headline
 * statistic moved in the direction of the test's effect (and so did the difference the test
 * measures); a significant test whose headline did not move that way is reported as
 * `no significant difference` with a `note`. So the change column and the verdict never disagree.
 *
 * @module
 */

/** Which statistical test produced the p-value. */
export type ComparisonTest =
  | 'mann-whitney-exact'
  | 'mann-whitney-normal'
  | 'welch-t'
  | 'two-proportion-z'
  | 'fisher-exact'
  | 'chi-square'
  | 'chi-square-merged'
  | 'fisher-freeman-halton'
  | 'none';

/**
 * `changed`: categorical scores only — the spread over labels differs significantly (labels have
 * no better or worse).
 */
export type Verdict = 'better' | 'worse' | 'changed' | 'no significant difference' | 'insufficient data';

/** The statistic a row leads with; `distribution` for categorical scores (counts per label). */
export type HeadlineStatistic = 'median' | 'mean' | 'rate' | 'distribution';

/** `numeric` (latency, TTFT, tokens, cost, numeric scores), `boolean` (error rate, 0/1 scores) or `categorical`. */
export type MetricKind = ScoreKind;

export type { Interval } from '../stats/intervals.js';

/** Summary of one side of one metric. */
export interface SideSummary {
  /** Values the test used (after sampling), or generations for the error rate. */
  n: number;
  /** Values available before sampling (equal to `n` when the cap was not hit). */
  total: number;
  /** Mean; for a rate (error rate, boolean score) the rate. */
  mean: number | null;
  /** Median of sampled numeric values; `null` for exact moments (tokens, cost), rates and labels. */
  median: number | null;
  /** Errors (error rate) or passes (boolean score). */
  events?: number;
  /** The row's headline statistic (see `MetricComparison.headline`) on this side. */
  headline: number | null;
  /**
   * Confidence interval of the headline at level 1 − alpha (not multiplicity-adjusted): order
   * statistics for a median, Student t for a mean, Wilson for a rate.
   */
  ci: Interval | null;
  /** Numeric scores (headline: mean): the order-statistic interval of the median. */
  medianCi?: Interval | null;
  /** Latency / TTFT (headline: median): the t interval of the mean. */
  meanCi?: Interval | null;
  /** Categorical scores: count per label. */
  categories?: Record<string, number>;
}

/** The comparison of one metric between baseline and candidate. */
export interface MetricComparison {
  /** `latency_ms`, `ttft_ms`, `total_tokens`, `cost_usd`, `error_rate` or `score:<name>`. */
  metric: string;
  kind: MetricKind;
  /** The statistic `SideSummary.headline` and `effect.relativeChange` are about. */
  headline: HeadlineStatistic;
  /** `lower` or `higher` is better; `none` for categorical scores. */
  better: 'lower' | 'higher' | 'none';
  baseline: SideSummary;
  candidate: SideSummary;
  test: ComparisonTest;
  /** Raw two-sided p-value; `null` when not tested (insufficient data). */
  p: number | null;
  /** Holm–Bonferroni adjusted p over the tested metrics of this comparison; `null` when not tested. */
  pAdjusted: number | null;
  effect: {
    /** (candidate − baseline) / |baseline| of the headline statistic; `null` when the baseline is 0. */
    relativeChange: number | null;
    /**
     * candidate − baseline of what the test measures: the mean (Welch), the rate (proportions) or
     * the Hodges–Lehmann shift (Mann–Whitney: median of all candidate − baseline differences).
     */
    difference: number | null;
    /** Confidence interval of `difference` at level 1 − alpha (Welch, Newcombe or Hodges–Lehmann). */
    differenceCi: Interval | null;
    /** Cliff's delta (= rank-biserial correlation) of candidate vs baseline, where Mann–Whitney ran. */
    cliffsDelta: number | null;
    /** Hedges' g (standardised mean difference) for means. */
    hedgesG: number | null;
    /** candidate rate / baseline rate for rates; `null` when the baseline rate is 0. */
    riskRatio: number | null;
    /** Cramér's V for categorical scores. */
    cramersV: number | null;
  };
  /** Numeric scores: Mann–Whitney U beside Welch's t, for the shape of the change (not adjusted, not deciding). */
  distributionTest?: { test: 'mann-whitney-exact' | 'mann-whitney-normal'; p: number; cliffsDelta: number };
  /** Categorical scores: labels pooled into one category before the test. */
  merged?: string[];
  verdict: Verdict;
  /** Why a significant test has no better/worse verdict. */
  note?: string;
}

export interface CompareOptions {
  /** Minimum values per side for a metric to be tested. */
  minSamples: number;
  /** Family-wise significance level (after Holm); intervals are at level 1 − alpha. */
  alpha: number;
}

/** One score's values on one side. */
export interface ScoreSample {
  /** Sampled numeric values. */
  values: readonly number[];
  /** Scores available before sampling. */
  total: number;
  /** Declared `promptline.score.data_type`, when known. */
  dataType?: ScoreDataType;
  /** Categorical scores: count per label. */
  labels?: ReadonlyMap<string, number>;
}

/** What compareSides needs of one side: readSide's data, whose scores may also carry types and labels. */
export type SideInput = Omit<SideData, 'scores' | 'versionName'> & {
  scores: ReadonlyMap<string, ScoreSample>;
};

interface Pending {
  row: MetricComparison;
  /** Direction of the test's effect: > 0 candidate larger, < 0 smaller, 0 none. */
  sign: number;
}

const NO_EFFECT: MetricComparison['effect'] = {
  relativeChange: null,
  difference: null,
  differenceCi: null,
  cliffsDelta: null,
  hedgesG: null,
  riskRatio: null,
  cramersV: null,
};

function sampleMoments(values: readonly number[]): Moments | null {
  const s = summarize(values);
  if (s.mean === null || s.stddev === null) return null;
  return { n: s.n, mean: s.mean, variance: s.stddev * s.stddev };
}

function row(
  metric: string,
  kind: MetricKind,
  headline: HeadlineStatistic,
  better: MetricComparison['better'],
  baseline: SideSummary,
  candidate: SideSummary,
): MetricComparison {
  return {
    metric,
    kind,
    headline,
    better,
    baseline,
    candidate,
    test: 'none',
    p: null,
    pAdjusted: null,
    effect: { ...NO_EFFECT },
    verdict: 'insufficient data',
  };
}

/** Latency / TTFT: median headline, Mann–Whitney U, Hodges–Lehmann shift. */
function medianMetric(
  metric: string,
  base: readonly number[],
  baseTotal: number,
  cand: readonly number[],
  candTotal: number,
  opts: CompareOptions,
): Pending {
  const level = 1 - opts.alpha;
  const side = (values: readonly number[], total: number): SideSummary => {
    const s = summarize(values);
    const m = sampleMoments(values);
    return {
      n: s.n,
      total,
      mean: s.mean,
      median: s.median,
      headline: s.median,
      ci: s.n === 0 ? null : quantileInterval(Float64Array.from(values).sort(), 0.5, level),
      meanCi: m === null ? null : meanInterval(m, level),
    };
  };
  const r = row(metric, 'numeric', 'median', 'lower', side(base, baseTotal), side(cand, candTotal));
  if (base.length < opts.minSamples || cand.length < opts.minSamples) return { row: r, sign: 0 };
  const mw = mannWhitneyU(base, cand);
  const shift = hodgesLehmann(base, cand, level);
  r.test = mw.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal';
  r.p = mw.p;
  r.effect.relativeChange = relativeChange(r.baseline.headline, r.candidate.headline);
  r.effect.difference = shift.estimate;
  r.effect.differenceCi = shift.ci;
  r.effect.cliffsDelta = mw.cliffsDelta;
  return { row: r, sign: Math.sign(mw.cliffsDelta) };
}

/** Mean headline, Welch's t, from moments (exact over every row, or of a sample). */
function meanMetric(
  metric: string,
  better: 'lower' | 'higher',
  base: { moments: Moments; total: number; median: number | null; medianCi?: Interval | null },
  cand: { moments: Moments; total: number; median: number | null; medianCi?: Interval | null },
  opts: CompareOptions,
): Pending {
  const level = 1 - opts.alpha;
  const usable = (m: Moments): boolean =>
    m.n >= Math.max(2, opts.minSamples) && Number.isFinite(m.mean) && m.variance >= 0;
  const side = (s: typeof base): SideSummary => {
    const mean = s.moments.n > 0 && Number.isFinite(s.moments.mean) ? s.moments.mean : null;
    const validVariance = s.moments.n >= 2 && s.moments.variance >= 0 && Number.isFinite(s.moments.variance);
    return {
      n: s.moments.n,
      total: s.total,
      mean,
      median: s.median,
      headline: mean,
      ci: mean !== null && validVariance ? meanInterval(s.moments, level) : null,
      ...(s.medianCi === undefined ? {} : { medianCi: s.medianCi }),
    };
  };
  const r = row(metric, 'numeric', 'mean', better, side(base), side(cand));
  if (!usable(base.moments) || !usable(cand.moments)) return { row: r, sign: 0 };
  const w = welchTTest(base.moments, cand.moments);
  r.test = 'welch-t';
  r.p = w.p;
  r.effect.relativeChange = relativeChange(r.baseline.headline, r.candidate.headline);
  r.effect.difference = w.meanDifference;
  r.effect.differenceCi = welchInterval(base.moments, cand.moments, level);
  r.effect.hedgesG = standardizedMeanDifference(base.moments, cand.moments)?.hedgesG ?? null;
  return { row: r, sign: Math.sign(w.meanDifference) };
}

function exactMoments(m: ExactMoments): Moments {
  return { n: m.n, mean: m.mean, variance: m.variance };
}

/** Rate headline: Fisher / two-proportion z, Wilson per side, Newcombe for the difference. */
function rateMetric(
  metric: string,
  better: 'lower' | 'higher',
  base: { events: number; trials: number; total: number },
  cand: { events: number; trials: number; total: number },
  opts: CompareOptions,
): Pending {
  const level = 1 - opts.alpha;
  const side = (s: typeof base): SideSummary => {
    const rate = s.trials === 0 ? null : s.events / s.trials;
    return {
      n: s.trials,
      total: s.total,
      mean: rate,
      median: null,
      events: s.events,
      headline: rate,
      ci: s.trials === 0 ? null : wilsonInterval({ events: s.events, trials: s.trials }, level),
    };
  };
  const r = row(metric, 'boolean', 'rate', better, side(base), side(cand));
  if (base.trials < opts.minSamples || cand.trials < opts.minSamples) return { row: r, sign: 0 };
  const a = { events: base.events, trials: base.trials };
  const b = { events: cand.events, trials: cand.trials };
  const t = compareProportions(a, b);
  const effects = rateEffects(a, b);
  r.test = t.method === 'fisher' ? 'fisher-exact' : 'two-proportion-z';
  r.p = t.p;
  r.effect.relativeChange = relativeChange(r.baseline.headline, r.candidate.headline);
  r.effect.difference = effects.difference;
  r.effect.differenceCi = newcombeInterval(a, b, level);
  r.effect.riskRatio = effects.ratio;
  return { row: r, sign: Math.sign(effects.difference) };
}

function categoricalMetric(
  metric: string,
  base: ScoreSample,
  cand: ScoreSample,
  opts: CompareOptions,
): Pending {
  const side = (s: ScoreSample): SideSummary => {
    const labels = s.labels ?? new Map<string, number>();
    let n = 0;
    const categories: Record<string, number> = {};
    for (const [label, count] of [...labels].sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))) {
      n += count;
      categories[label] = count;
    }
    return { n, total: Math.max(s.total, n), mean: null, median: null, headline: null, ci: null, categories };
  };
  const r = row(metric, 'categorical', 'distribution', 'none', side(base), side(cand));
  if (r.baseline.n < opts.minSamples || r.candidate.n < opts.minSamples) return { row: r, sign: 0 };
  const t = compareCategories(base.labels ?? new Map(), cand.labels ?? new Map());
  r.test = t.method === 'none' ? 'none' : t.method;
  r.p = t.p;
  r.effect.cramersV = t.cramersV;
  if (t.merged.length > 0) r.merged = t.merged;
  return { row: r, sign: 0 };
}

const EMPTY_SCORE: ScoreSample = { values: [], total: 0 };

function scoreMetric(name: string, base: ScoreSample, cand: ScoreSample, opts: CompareOptions): Pending {
  const metric = `score:${name}`;
  const labelled = (s: ScoreSample): number => {
    let n = 0;
    for (const c of s.labels?.values() ?? []) n += c;
    return n;
  };
  const kind = scoreKind({
    declared: [base.dataType, cand.dataType],
    values: [...base.values, ...cand.values],
    labelled: labelled(base) + labelled(cand),
  });
  switch (kind) {
    case 'categorical':
      return categoricalMetric(metric, base, cand, opts);
    case 'boolean': {
      const passes = (s: ScoreSample): number => s.values.reduce((a, v) => a + (v === 1 ? 1 : 0), 0);
      return rateMetric(
        metric,
        'higher',
        { events: passes(base), trials: base.values.length, total: base.total },
        { events: passes(cand), trials: cand.values.length, total: cand.total },
        opts,
      );
    }
    case 'numeric': {
      const level = 1 - opts.alpha;
      const input = (s: ScoreSample): Parameters<typeof meanMetric>[2] => {
        const sum = summarize(s.values);
        return {
          moments: sampleMoments(s.values) ?? { n: sum.n, mean: sum.mean ?? NaN, variance: NaN },
          total: s.total,
          median: sum.median,
          medianCi: sum.n === 0 ? null : quantileInterval(Float64Array.from(s.values).sort(), 0.5, level),
        };
      };
      const pending = meanMetric(metric, 'higher', input(base), input(cand), opts);
      if (pending.row.p !== null) {
        const mw = mannWhitneyU(base.values, cand.values);
        pending.row.effect.cliffsDelta = mw.cliffsDelta;
        pending.row.distributionTest = {
          test: mw.method === 'exact' ? 'mann-whitney-exact' : 'mann-whitney-normal',
          p: mw.p,
          cliffsDelta: mw.cliffsDelta,
        };
      }
      return pending;
    }
  }
}

/** The verdict rule (module doc): significance AND the headline moving the test's way. */
function decide(x: Pending, alpha: number): void {
  const r = x.row;
  if (r.pAdjusted === null) return;
  if (!(r.pAdjusted < alpha)) {
    r.verdict = 'no significant difference';
    return;
  }
  if (r.better === 'none') {
    r.verdict = 'changed';
    return;
  }
  const b = r.baseline.headline;
  const c = r.candidate.headline;
  const headlineSign = b === null || c === null ? 0 : Math.sign(c - b);
  const differenceSign = r.effect.difference === null ? x.sign : Math.sign(r.effect.difference);
  if (x.sign !== 0 && headlineSign === x.sign && differenceSign === x.sign) {
    r.verdict = x.sign > 0 === (r.better === 'higher') ? 'better' : 'worse';
    return;
  }
  r.verdict = 'no significant difference';
  const moved = headlineSign === 0 ? 'did not change' : 'moved the other way';
  r.note = `the test is significant, but the ${r.headline} ${moved}: the values differ in shape, not in their ${r.headline}`;
}

/**
 * Every metric of two sides, tested, Holm-adjusted and judged. Order: latency, TTFT, total tokens,
 * cost, error rate, then scores by name.
 */
export function compareSides(base: SideInput, cand: SideInput, opts: CompareOptions): MetricComparison[] {
  const pending: Pending[] = [
    medianMetric('latency_ms', base.latencyMs, base.generations, cand.latencyMs, cand.generations, opts),
    medianMetric('ttft_ms', base.ttftMs, base.ttftCount, cand.ttftMs, cand.ttftCount, opts),
    meanMetric(
      'total_tokens',
      'lower',
      { moments: exactMoments(base.totalTokens), total: base.totalTokens.n, median: null },
      { moments: exactMoments(cand.totalTokens), total: cand.totalTokens.n, median: null },
      opts,
    ),
    meanMetric(
      'cost_usd',
      'lower',
      { moments: exactMoments(base.costUsd), total: base.costUsd.n, median: null },
      { moments: exactMoments(cand.costUsd), total: cand.costUsd.n, median: null },
      opts,
    ),
    rateMetric(
      'error_rate',
      'lower',
      { events: base.errors, trials: base.generations, total: base.generations },
      { events: cand.errors, trials: cand.generations, total: cand.generations },
      opts,
    ),
  ];
  const names = [...new Set([...base.scores.keys(), ...cand.scores.keys()])].sort();
  for (const name of names) {
    pending.push(
      scoreMetric(name, base.scores.get(name) ?? EMPTY_SCORE, cand.scores.get(name) ?? EMPTY_SCORE, opts),
    );
  }
  const tested = pending.filter((x) => x.row.p !== null);
  const adjusted = holmAdjust(tested.map((x) => x.row.p!));
  tested.forEach((x, i) => {
    x.row.pAdjusted = adjusted[i]!;
    decide(x, opts.alpha);
  });
  return pending.map((x) => x.row);
}
