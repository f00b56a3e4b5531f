import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSides } from '../src/compare/compareSides.js';
import type { SideData } from '../src/compare/versionSample.js';
import { mulberry32 } from '../../../test/kit/random.js';

/**
 * The metric → test → verdict mapping, on synthetic side data (no engine needed: compareSides is
 * pure). The direction rule: lower latency / TTFT / tokens / cost / error rate is better, higher
 * score is better.
 */

function side(over: Partial<SideData> & { seed: number; shift?: number; scoreShift?: number }): SideData {
  const rnd = mulberry32(over.seed);
  const shift = over.shift ?? 0;
  const scoreShift = over.scoreShift ?? 0;
  const latency = Array.from({ length: 200 }, () => 100 * Math.exp(rnd()) + shift);
  return {
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
    expect(score.candidate).toEqual({ n: 0, total: 0, mean: null, median: null });
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
