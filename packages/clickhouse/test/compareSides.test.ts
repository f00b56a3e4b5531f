import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSides } from '../src/compare/compareSides.js';
import type { MetricComparison, ScoreSample, SideInput } from '../src/compare/compareSides.js';
import { newcombeInterval, normalCdf, wilsonInterval } from '../src/stats/index.js';
import type { SideData } from '../src/compare/versionSample.js';
import { mulberry32 } from '../../../test/kit/random.js';

/**
 * The metric → test → verdict mapping, on synthetic side data (no engine needed: compareSides is
 * pure). The direction rule: lower latency / TTFT / tokens / cost / error rate is better, higher
 * score is better. The verdict rule: better/worse needs a significant adjusted p and the headline
 * statistic moving the same way, so the change column and the verdict never disagree.
 */

function side(
  over: Partial<Omit<SideData, 'versionName'>> & { seed: number; shift?: number; scoreShift?: number },
): SideData {
  const rnd = mulberry32(over.seed);
  const shift = over.shift ?? 0;
  const scoreShift = over.scoreShift ?? 0;
  const latency = Array.from({ length: 200 }, () => 100 * Math.exp(rnd()) + shift);
  return {
    versionName: '',
    generations: 200,
    errors: 4,
    totalTokens: { n: 196, mean: 300, variance: 400 },
    costUsd: { n: 196, mean: 0.001, variance: 1e-8 },
    latencyMs: latency,
    ttftMs: latency.slice(0, 100).map((v) => v / 3),
    ttftCount: 100,
    scores: new Map([
      ['quality', { values: Array.from({ length: 150 }, () => rnd() + scoreShift), total: 150 }],
    ]),
    ...over,
  };
}

const OPTS = { minSamples: 20, alpha: 0.05 };

describe('compareSides', () => {
  it('applies the direction rule to every metric', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.boolean(), (seed, candidateWorse) => {
        const k = candidateWorse ? 1 : -1;
        const base = side({ seed, errors: candidateWorse ? 4 : 40 });
        const cand = side({
          seed: seed + 1,
          shift: 80 * k,
          scoreShift: -0.5 * k,
          errors: candidateWorse ? 40 : 4,
          totalTokens: { n: 196, mean: 300 + 30 * k, variance: 400 },
          costUsd: { n: 196, mean: 0.001 * (1 + 0.2 * k), variance: 1e-8 },
        });
        const expected = candidateWorse ? 'worse' : 'better';
        for (const m of compareSides(base, cand, OPTS)) {
          expect(m.verdict, m.metric).toBe(expected);
          expect(m.pAdjusted!).toBeLessThan(0.05);
        }
      }),
      { numRuns: 20 },
    );
  });

  it('leaves metrics below minSamples untested and out of the Holm family', () => {
    const base = side({ seed: 1 });
    const cand = side({ seed: 2, ttftMs: [10, 20, 30], ttftCount: 3, scores: new Map() });
    const result = compareSides(base, cand, OPTS);
    const ttft = result.find((m) => m.metric === 'ttft_ms')!;
    expect(ttft.verdict).toBe('insufficient data');
    expect(ttft.p).toBeNull();
    expect(ttft.candidate.n).toBe(3);
    const score = result.find((m) => m.metric === 'score:quality')!;
    expect(score.verdict).toBe('insufficient data');
    expect(score.candidate).toMatchObject({
      n: 0,
      total: 0,
      mean: null,
      median: null,
      headline: null,
      ci: null,
    });
    // 4 tested metrics (latency, tokens, cost, errors): the smallest p is multiplied by 4.
    const tested = result.filter((m) => m.p !== null);
    expect(tested).toHaveLength(4);
    const smallest = tested.reduce((a, m) => (m.p! < a.p! ? m : a));
    expect(smallest.pAdjusted!).toBeCloseTo(Math.min(1, 4 * smallest.p!), 12);
  });

  it('reports the sample against the population when the cap was hit', () => {
    const base = side({ seed: 3, generations: 90_000 });
    const cand = side({ seed: 4, generations: 120_000 });
    const latency = compareSides(base, cand, OPTS).find((m) => m.metric === 'latency_ms')!;
    expect(latency.baseline).toMatchObject({ n: 200, total: 90_000 });
    expect(latency.candidate).toMatchObject({ n: 200, total: 120_000 });
    expect(latency.verdict).toBe('no significant difference');
  });
});

/** A side with nothing but the given scores (every other metric below minSamples). */
function scoresOnly(scores: Record<string, ScoreSample>): SideInput {
  return {
    generations: 0,
    errors: 0,
    totalTokens: { n: 0, mean: NaN, variance: NaN },
    costUsd: { n: 0, mean: NaN, variance: NaN },
    latencyMs: [],
    ttftMs: [],
    ttftCount: 0,
    scores: new Map(Object.entries(scores)),
  };
}

const repeat = (pairs: Array<[value: number, times: number]>): number[] =>
  pairs.flatMap(([v, times]) => new Array<number>(times).fill(v));
const mean = (xs: readonly number[]): number => xs.reduce((a, v) => a + v, 0) / xs.length;
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const byMetric = (rows: MetricComparison[], metric: string): MetricComparison =>
  rows.find((r) => r.metric === metric)!;

describe('compareSides: the headline, the change and the verdict agree', () => {
  it('reproduces the demo: boolean `correct` and 1–5 `user-rating` with equal medians but different rates and means', () => {
    // 75 answers per version; v1 answers 42 correctly, v2 67. Correct answers are rated 5, wrong ones 2.
    const correct1 = repeat([
      [1, 42],
      [0, 33],
    ]);
    const correct2 = repeat([
      [1, 67],
      [0, 8],
    ]);
    const rating = (c: number[]): number[] => c.map((v) => (v === 1 ? 5 : 2));
    const base = scoresOnly({
      correct: { values: correct1, total: 75 },
      'user-rating': { values: rating(correct1), total: 75 },
    });
    const cand = scoresOnly({
      correct: { values: correct2, total: 75 },
      'user-rating': { values: rating(correct2), total: 75 },
    });
    // The medians the old comparison led with: 1 vs 1 and 5 vs 5.
    expect([median(correct1), median(correct2)]).toEqual([1, 1]);
    expect([median(rating(correct1)), median(rating(correct2))]).toEqual([5, 5]);
    const rows = compareSides(base, cand, OPTS);

    const c = byMetric(rows, 'score:correct');
    expect(c).toMatchObject({ kind: 'boolean', headline: 'rate', better: 'higher', verdict: 'better' });
    expect(c.baseline.headline).toBeCloseTo(42 / 75, 15);
    expect(c.candidate.headline).toBeCloseTo(67 / 75, 15);
    expect(c.baseline.median).toBeNull();
    expect(c.effect.relativeChange).toBeCloseTo(67 / 42 - 1, 12); // +59.5%, not +0.0%
    expect(c.effect.difference).toBeCloseTo(25 / 75, 12);
    // Smallest expected cell 75·41/150 = 20.5 ≥ 5: the pooled two-proportion z-test, by hand.
    expect(c.test).toBe('two-proportion-z');
    const pooled = 109 / 150;
    const z = (67 / 75 - 42 / 75) / Math.sqrt(pooled * (1 - pooled) * (2 / 75));
    expect(c.p!).toBeCloseTo(2 * normalCdf(-z), 12);
    expect(c.effect.differenceCi!.lower).toBeGreaterThan(0);

    const r = byMetric(rows, 'score:user-rating');
    expect(r).toMatchObject({ kind: 'numeric', headline: 'mean', test: 'welch-t', verdict: 'better' });
    expect(r.baseline.headline).toBeCloseTo(3.68, 12);
    expect(r.candidate.headline).toBeCloseTo(4.68, 12);
    expect(r.baseline.headline).toBeCloseTo(mean(rating(correct1)), 12);
    expect([r.baseline.median, r.candidate.median]).toEqual([5, 5]);
    expect(r.effect.relativeChange).toBeCloseTo(1 / 3.68, 12); // +27.2%
    expect(r.effect.difference).toBeCloseTo(1, 12);
    expect(r.baseline.ci!.lower).toBeLessThan(3.68);
    expect(r.baseline.medianCi).toMatchObject({ upper: 5 });
    expect(r.distributionTest?.test).toBe('mann-whitney-normal');
    expect(r.effect.hedgesG!).toBeGreaterThan(0.5);

    // Holm over the two tested scores, by hand.
    const [lo, hi] = [c.p!, r.p!].sort((a, b) => a - b);
    expect(Math.min(c.pAdjusted!, r.pAdjusted!)).toBeCloseTo(Math.min(1, 2 * lo!), 12);
    expect(Math.max(c.pAdjusted!, r.pAdjusted!)).toBeCloseTo(Math.max(Math.min(1, 2 * lo!), hi!), 12);
  });

  it('never gives better/worse against the direction of the change, nor with a change of 0', () => {
    let judged = 0;
    const intSample = (rnd: () => number, n: number, lo: number, span: number): number[] =>
      Array.from({ length: n }, () => lo + Math.floor(rnd() * span));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const rnd = mulberry32(seed);
        const side = (): SideInput => {
          const n = 20 + Math.floor(rnd() * 200);
          const shift = Math.floor(rnd() * 3);
          const p = rnd();
          return {
            generations: n,
            errors: Math.floor(rnd() * rnd() * n),
            totalTokens: { n, mean: 300 + 40 * rnd(), variance: 400 * rnd() },
            costUsd: { n, mean: 0.001 * (1 + rnd()), variance: 1e-8 * rnd() },
            latencyMs: intSample(rnd, n, 100 + 10 * shift, 40),
            ttftMs: intSample(rnd, n, 20 + shift, 4),
            ttftCount: n,
            scores: new Map<string, ScoreSample>([
              ['pass', { values: Array.from({ length: n }, () => (rnd() < p ? 1 : 0)), total: n }],
              ['stars', { values: intSample(rnd, n, 1 + shift, 3), total: n }],
              [
                'tone',
                {
                  values: [],
                  total: n,
                  labels: new Map([
                    ['calm', Math.floor(n * p)],
                    ['curt', n - Math.floor(n * p)],
                  ]),
                },
              ],
            ]),
          };
        };
        for (const m of compareSides(side(), side(), OPTS)) {
          const { verdict, baseline, candidate } = m;
          if (verdict !== 'better' && verdict !== 'worse') continue;
          judged++;
          const up = candidate.headline! > baseline.headline!;
          const down = candidate.headline! < baseline.headline!;
          expect(up || down, `${m.metric}: ${verdict} with an unchanged ${m.headline}`).toBe(true);
          expect(
            verdict === 'better' ? up === (m.better === 'higher') : up === (m.better === 'lower'),
            m.metric,
          ).toBe(true);
          if (m.effect.relativeChange !== null) expect(Math.sign(m.effect.relativeChange)).toBe(up ? 1 : -1);
          expect(Math.sign(m.effect.difference!)).toBe(up ? 1 : -1);
          expect(m.pAdjusted!).toBeLessThan(OPTS.alpha);
        }
      }),
      { numRuns: 60 },
    );
    expect(judged).toBeGreaterThan(100); // the property was exercised, not vacuous
  });

  it('a significant rank test whose median did not move gets no verdict, and says why', () => {
    // Same median (50), but both halves of the candidate moved up: Mann–Whitney is significant.
    const base = repeat([
      [10, 120],
      [50, 60],
      [60, 120],
    ]);
    const cand = repeat([
      [40, 120],
      [50, 60],
      [90, 120],
    ]);
    const side = (latencyMs: number[]): SideInput => ({ ...scoresOnly({}), generations: 300, latencyMs });
    const latency = byMetric(compareSides(side(base), side(cand), OPTS), 'latency_ms');
    expect(latency.p!).toBeLessThan(1e-6);
    expect([latency.baseline.headline, latency.candidate.headline]).toEqual([50, 50]);
    expect(latency.effect.relativeChange).toBe(0);
    expect(latency.verdict).toBe('no significant difference');
    expect(latency.note).toMatch(/median did not change/);
  });

  it('latency: median headline with its interval, Hodges–Lehmann shift as the difference', () => {
    const rnd = mulberry32(5);
    const base = Array.from({ length: 300 }, () => 200 * Math.exp(0.4 * (rnd() - 0.5)));
    const cand = base.map((v) => v + 30);
    const side = (latencyMs: number[]): SideInput => ({ ...scoresOnly({}), generations: 300, latencyMs });
    const latency = byMetric(compareSides(side(base), side(cand), OPTS), 'latency_ms');
    expect(latency).toMatchObject({ kind: 'numeric', headline: 'median', verdict: 'worse' });
    expect(latency.effect.difference).toBeCloseTo(30, 9); // a pure shift: every… median difference is 30
    expect(latency.effect.differenceCi!.lower).toBeLessThanOrEqual(30);
    expect(latency.effect.differenceCi!.upper).toBeGreaterThanOrEqual(30);
    expect(latency.baseline.ci!.lower).toBeLessThan(latency.baseline.headline!);
    expect(latency.baseline.meanCi).not.toBeNull();
  });

  it('categorical scores: counts per label, chi-square, verdict `changed` without a direction', () => {
    const labels = (calm: number, curt: number, rude: number): ScoreSample => ({
      values: [],
      total: calm + curt + rude,
      dataType: 'categorical',
      labels: new Map([
        ['calm', calm],
        ['curt', curt],
        ['rude', rude],
      ]),
    });
    const changed = compareSides(
      scoresOnly({ tone: labels(80, 15, 5) }),
      scoresOnly({ tone: labels(50, 30, 20) }),
      OPTS,
    );
    const tone = byMetric(changed, 'score:tone');
    expect(tone).toMatchObject({
      kind: 'categorical',
      headline: 'distribution',
      better: 'none',
      test: 'chi-square',
      verdict: 'changed',
    });
    expect(tone.baseline.categories).toEqual({ calm: 80, curt: 15, rude: 5 });
    expect(tone.effect.relativeChange).toBeNull();
    expect(tone.effect.cramersV!).toBeGreaterThan(0.2);
    const same = byMetric(
      compareSides(scoresOnly({ tone: labels(80, 15, 5) }), scoresOnly({ tone: labels(78, 17, 5) }), OPTS),
      'score:tone',
    );
    expect(same.verdict).toBe('no significant difference');
  });

  it('error rate: Fisher for small counts, Wilson per side, Newcombe for the difference, risk ratio', () => {
    const side = (errors: number): SideInput => ({ ...scoresOnly({}), generations: 60, errors });
    // 9 errors in 120: smallest expected cell 4.5 < 5, so Fisher's exact test.
    const e = byMetric(compareSides(side(1), side(8), OPTS), 'error_rate');
    expect(e).toMatchObject({ kind: 'boolean', headline: 'rate', test: 'fisher-exact', verdict: 'worse' });
    expect(e.effect.riskRatio).toBeCloseTo(8, 12);
    expect(e.effect.difference).toBeCloseTo(7 / 60, 12);
    expect(e.candidate.ci).toEqual(wilsonInterval({ events: 8, trials: 60 }));
    expect(e.effect.differenceCi).toEqual(
      newcombeInterval({ events: 1, trials: 60 }, { events: 8, trials: 60 }),
    );
    expect(e.effect.differenceCi!.lower).toBeGreaterThan(0);
  });
});
