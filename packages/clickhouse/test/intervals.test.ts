import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  betaQuantile,
  binomialCdf,
  chiSquareSurvival,
  compareCategories,
  describeCategories,
  describeNumeric,
  describeProportion,
  describeWeighted,
  fisherExactTest,
  hodgesLehmann,
  mannWhitneyU,
  meanInterval,
  newcombeInterval,
  normalCdf,
  normalQuantile,
  quantileInterval,
  rateEffects,
  sampleQuantile,
  scoreKind,
  standardizedMeanDifference,
  studentTCdf,
  studentTQuantile,
  welchInterval,
  welchTTest,
  weightedQuantile,
  weightedSample,
  wilsonInterval,
} from '../src/stats/index.js';
import { lnGamma, regularizedBeta } from '../src/stats/special.js';
import { mulberry32 } from '../../../test/kit/random.js';

/**
 * Intervals, quantiles, effect sizes, the categorical test and the score kinds: published tables
 * and worked examples, definitions checked by brute force, and the coverage of the intervals in
 * seeded simulations. (The agreement with SciPy is test/statsReference.test.ts.)
 */

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/** The representable number next to a positive x, up (+1) or down (−1). */
function nextDouble(x: number, direction: 1 | -1): number {
  const f = Float64Array.of(x);
  const bits = new BigInt64Array(f.buffer);
  bits[0] = bits[0]! + BigInt(direction);
  return f[0]!;
}

describe('published tables', () => {
  it('normal and Student t quantiles: the familiar table values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.995)).toBeCloseTo(2.575829, 6);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.025)).toBeCloseTo(-normalQuantile(0.975), 14);
    // t table, two-sided 95% (and 99% for df 5).
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706, 3);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.303, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042, 3);
    expect(studentTQuantile(0.995, 5)).toBeCloseTo(4.032, 3);
    expect(studentTQuantile(0.975, Infinity)).toBe(normalQuantile(0.975));
  });

  it('chi-square table: the 5% critical values for 1, 2, 3 and 10 degrees of freedom', () => {
    for (const [x, df] of [
      [3.841, 1],
      [5.991, 2],
      [7.815, 3],
      [18.307, 10],
    ] as const) {
      expect(Math.abs(chiSquareSurvival(x, df) - 0.05), `df=${df}`).toBeLessThan(1e-4);
    }
    // df 2 has the closed form e^{−x/2}.
    expect(chiSquareSurvival(7.3, 2)).toBeCloseTo(Math.exp(-7.3 / 2), 14);
  });

  it('Wilson intervals of Newcombe (1998), single proportion, Table I', () => {
    const cases: Array<[number, number, number, number]> = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of cases) {
      const ci = wilsonInterval({ events: k, trials: n });
      expect([round4(ci.lower), round4(ci.upper)], `${k}/${n}`).toEqual([lo, hi]);
    }
  });

  it('Newcombe (1998) method 10, difference of independent proportions, Table II', () => {
    // Rows of the paper as p₁ − p₂; newcombeInterval(a, b) is b − a.
    const cases: Array<[[number, number], [number, number], number, number]> = [
      [[56, 70], [48, 80], 0.0524, 0.3339],
      [[9, 10], [3, 10], 0.1705, 0.809],
      [[0, 10], [0, 20], -0.1611, 0.2775],
      [[0, 10], [0, 10], -0.2775, 0.2775],
    ];
    for (const [[k1, n1], [k2, n2], lo, hi] of cases) {
      const ci = newcombeInterval({ events: k2, trials: n2 }, { events: k1, trials: n1 });
      expect([round4(ci.lower), round4(ci.upper)], `${k1}/${n1} − ${k2}/${n2}`).toEqual([lo, hi]);
    }
  });

  it("Fisher's tea tasting (3 of 4 right): two-sided p = 34/70", () => {
    expect(fisherExactTest({ events: 3, trials: 4 }, { events: 1, trials: 4 })).toBeCloseTo(34 / 70, 12);
  });

  it('median interval for n = 10: order statistics 2 and 9, coverage 1002/1024', () => {
    const ci = quantileInterval(
      [3, 1, 4, 1.5, 9, 2.6, 5, 3.5, 8, 9.7].sort((a, b) => a - b),
      0.5,
    )!;
    expect([ci.lowerRank, ci.upperRank]).toEqual([2, 9]);
    expect([ci.lower, ci.upper]).toEqual([1.5, 9]);
    expect(ci.coverage).toBeCloseTo(1002 / 1024, 14);
    // Five values cannot give 95%: (1 − 2/32) = 93.75% at best.
    expect(quantileInterval([1, 2, 3, 4, 5], 0.5)).toBeNull();
    expect(quantileInterval([1, 2, 3, 4, 5, 6], 0.5)).toMatchObject({ lower: 1, upper: 6 });
  });

  it("Hedges' correction J(10) = Γ(5) / (√5 · Γ(4.5)) ≈ 0.9227", () => {
    const a = { n: 6, mean: 0, variance: 1 };
    const b = { n: 6, mean: 1, variance: 1 };
    const r = standardizedMeanDifference(a, b)!;
    expect(r.cohensD).toBeCloseTo(1, 14);
    const j = Math.exp(lnGamma(5) - 0.5 * Math.log(5) - lnGamma(4.5));
    expect(r.hedgesG).toBeCloseTo(j, 12);
    expect(j).toBeCloseTo(0.9227, 4);
    expect(
      standardizedMeanDifference({ n: 1, mean: 0, variance: 0 }, { n: 2, mean: 1, variance: 0 }),
    ).toBeNull();
  });
});

describe('inverse distribution functions invert', () => {
  it('normal, t and beta quantiles are inverses of their CDFs', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }),
        fc.double({ min: 0.3, max: 1e4, noNaN: true }),
        (p, df) => {
          expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12);
          expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 11);
        },
      ),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 1e-9, max: 1 - 1e-9, noNaN: true }),
        fc.double({ min: 0.05, max: 300, noNaN: true }),
        fc.double({ min: 0.05, max: 300, noNaN: true }),
        (p, a, b) => {
          const x = betaQuantile(p, a, b);
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThanOrEqual(1);
          // I_x(a, b) = p to 1e-12, or p lies between I at the representable numbers either side of x
          // (near 1 with a small b the CDF jumps by more than that from one double to the next, and
          // a quantile closer to 1 than 2⁻⁵³ rounds to 1).
          const cdf = (v: number): number => regularizedBeta(v, a, b);
          const below = x > 0 ? nextDouble(x, -1) : 0;
          const above = x < 1 ? nextDouble(x, 1) : 1;
          const bracketed = cdf(below) <= p && p <= cdf(above);
          expect(bracketed || Math.abs(cdf(x) - p) <= 1e-12, `p=${p} a=${a} b=${b} x=${x}`).toBe(true);
        },
      ),
    );
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(studentTQuantile(1, 3)).toBe(Infinity);
    expect(() => normalQuantile(1.5)).toThrow(/\[0, 1\]/);
  });
});

describe('intervals', () => {
  it('Wilson: inside [0, 1], around the rate, narrower with more trials', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, f) => {
        const k = Math.round(f * n);
        const ci = wilsonInterval({ events: k, trials: n });
        expect(ci.lower).toBeGreaterThanOrEqual(0);
        expect(ci.upper).toBeLessThanOrEqual(1);
        expect(ci.lower).toBeLessThanOrEqual(k / n + 1e-15);
        expect(ci.upper).toBeGreaterThanOrEqual(k / n - 1e-15);
        const wider = wilsonInterval({ events: k * 4, trials: n * 4 });
        expect(wider.upper - wider.lower).toBeLessThan(ci.upper - ci.lower);
      }),
    );
  });

  it('Welch interval excludes 0 exactly when the Welch test rejects at 1 − level', () => {
    const m = fc.record({
      n: fc.integer({ min: 2, max: 500 }),
      mean: fc.double({ min: -5, max: 5, noNaN: true }),
      variance: fc.double({ min: 0.01, max: 20, noNaN: true }),
    });
    fc.assert(
      fc.property(m, m, fc.constantFrom(0.9, 0.95, 0.99), (a, b, level) => {
        const ci = welchInterval(a, b, level)!;
        const p = welchTTest(a, b).p;
        fc.pre(Math.abs(p - (1 - level)) > 1e-9);
        expect(ci.lower > 0 || ci.upper < 0).toBe(p < 1 - level);
        expect((ci.lower + ci.upper) / 2).toBeCloseTo(b.mean - a.mean, 9);
      }),
    );
    expect(meanInterval({ n: 1, mean: 3, variance: 0 })).toBeNull();
    expect(welchInterval({ n: 5, mean: 1, variance: 0 }, { n: 5, mean: 2, variance: 0 })).toEqual({
      lower: 1,
      upper: 1,
      level: 0.95,
    });
  });

  it('order-statistic intervals: exact coverage at least the level, from the binomial', () => {
    for (const n of [6, 7, 10, 25, 100, 1000]) {
      for (const q of [0.1, 0.5, 0.9]) {
        const sorted = Array.from({ length: n }, (_, i) => i);
        const ci = quantileInterval(sorted, q);
        if (ci === null) continue;
        const coverage = binomialCdf(ci.upperRank - 1, n, q) - binomialCdf(ci.lowerRank - 1, n, q);
        expect(ci.coverage).toBeCloseTo(coverage, 14);
        expect(ci.coverage, `n=${n} q=${q}`).toBeGreaterThanOrEqual(0.95);
        expect(ci.lower).toBeLessThanOrEqual(sampleQuantile(sorted, q));
        expect(ci.upper).toBeGreaterThanOrEqual(sampleQuantile(sorted, q));
      }
    }
  });

  it('coverage in seeded simulations: Wilson, Newcombe, t and median intervals near their 95%', () => {
    const rnd = mulberry32(77);
    const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    const runs = 2000;
    let wilson = 0;
    let newcombe = 0;
    let mean = 0;
    let median = 0;
    for (let r = 0; r < runs; r++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < 60; i++) if (rnd() < 0.1) a++;
      for (let i = 0; i < 80; i++) if (rnd() < 0.25) b++;
      const w = wilsonInterval({ events: a, trials: 60 });
      if (w.lower <= 0.1 && 0.1 <= w.upper) wilson++;
      const d = newcombeInterval({ events: a, trials: 60 }, { events: b, trials: 80 });
      if (d.lower <= 0.15 && 0.15 <= d.upper) newcombe++;
      const xs = Array.from({ length: 30 }, () => 10 + 2 * gauss());
      const s = describeNumeric(xs);
      if (s.meanCi!.lower <= 10 && 10 <= s.meanCi!.upper) mean++;
      if (s.medianCi!.lower <= 10 && 10 <= s.medianCi!.upper) median++;
    }
    // 2000 runs: the standard error of a 95% coverage is 0.5%.
    expect(Math.abs(wilson / runs - 0.95)).toBeLessThan(0.025);
    expect(Math.abs(newcombe / runs - 0.95)).toBeLessThan(0.025);
    expect(Math.abs(mean / runs - 0.95)).toBeLessThan(0.015);
    expect(median / runs).toBeGreaterThan(0.94); // conservative by construction (exact 95.7% at n = 30)
  });
});

describe('Hodges–Lehmann', () => {
  const pairMedian = (x: number[], y: number[]): number => {
    const d: number[] = [];
    for (const a of x) for (const b of y) d.push(b - a);
    d.sort((a, b) => a - b);
    const mid = d.length >> 1;
    return d.length % 2 === 1 ? d[mid]! : (d[mid - 1]! + d[mid]!) / 2;
  };

  it('the estimate is the median of all pairwise differences (ties and large samples included)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 400 }),
        fc.array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 400 }),
        (x, y) => {
          expect(hodgesLehmann(x, y).estimate).toBe(pairMedian(x, y));
        },
      ),
      { numRuns: 60 },
    );
    // Differences 30 50 50 60 60 70 80 80 90.
    expect(hodgesLehmann([120, 130, 150], [180, 200, 210]).estimate).toBe(60);
  });

  it('exact case: the interval is the set of shifts the exact Mann–Whitney test does not reject', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 8, maxLength: 40 }),
        fc.integer({ min: 3, max: 20 }),
        fc.integer({ min: -3000, max: 3000 }),
        (pool, m, shift) => {
          fc.pre(m < pool.length - 2);
          const x = pool.slice(0, m);
          const y = pool.slice(m).map((v) => v + shift + 0.5); // no difference is exactly 0
          const r = hodgesLehmann(x, y, 0.95);
          fc.pre(r.ci !== null);
          const mw = mannWhitneyU(x, y);
          expect(r.method).toBe('exact');
          expect(mw.method).toBe('exact');
          expect(r.ci!.lower > 0 || r.ci!.upper < 0).toBe(mw.p < 0.05);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('categories', () => {
  it('Pearson chi-square by hand on a 2 × 3 table', () => {
    const a = new Map([
      ['yes', 30],
      ['no', 50],
      ['maybe', 20],
    ]);
    const b = new Map([
      ['yes', 45],
      ['no', 35],
      ['maybe', 20],
    ]);
    // Expected: yes 37.5/37.5, no 42.5/42.5, maybe 20/20.
    const x2 = 2 * ((7.5 * 7.5) / 37.5 + (7.5 * 7.5) / 42.5);
    const r = compareCategories(a, b);
    expect(r.method).toBe('chi-square');
    expect(r.df).toBe(2);
    expect(r.statistic).toBeCloseTo(x2, 12);
    expect(r.p).toBeCloseTo(Math.exp(-x2 / 2), 12); // chi-square with 2 df
    expect(r.cramersV).toBeCloseTo(Math.sqrt(x2 / 200), 12);
  });

  it('falls back to the exact test on sparse tables, and to pooling when that is too large', () => {
    const sparse = compareCategories(
      new Map([
        ['a', 3],
        ['b', 1],
        ['c', 0],
      ]),
      new Map([
        ['a', 0],
        ['b', 2],
        ['c', 4],
      ]),
    );
    expect(sparse.method).toBe('fisher-freeman-halton');
    // A 2 × 2 table is Fisher's test.
    const two = compareCategories(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
      new Map([
        ['a', 1],
        ['b', 3],
      ]),
    );
    expect(two.p).toBeCloseTo(34 / 70, 12);
    // Big categories and a tail of rare ones: too many tables to enumerate, so the rarest pool
    // until Cochran's rule holds: r1 + r2 + r3 (expected 7.4 and 7.6); r4 (2.5 each) is then the
    // 20% of cells allowed below 5.
    const big = {
      a: [
        ['x', 400],
        ['y', 350],
        ['z', 300],
      ],
      b: [
        ['x', 380],
        ['y', 390],
        ['z', 310],
      ],
    } as const;
    const a = new Map<string, number>([...big.a, ['r1', 3], ['r2', 2], ['r3', 4], ['r4', 1]]);
    const b = new Map<string, number>([...big.b, ['r1', 2], ['r2', 3], ['r3', 1], ['r4', 4]]);
    const pooled = compareCategories(a, b);
    expect(pooled.method).toBe('chi-square-merged');
    expect(pooled.merged).toEqual(['r1', 'r2', 'r3']);
    expect(pooled.df).toBe(4);
    // A tail too thin to make a bin of its own (8 values) is pooled with the smallest big category.
    const thinA = new Map<string, number>([...big.a, ['r1', 1], ['r2', 0], ['r3', 2], ['r4', 1]]);
    const thinB = new Map<string, number>([...big.b, ['r1', 0], ['r2', 1], ['r3', 1], ['r4', 2]]);
    const thin = compareCategories(thinA, thinB);
    expect(thin.merged).toEqual(['r1', 'r2', 'r3', 'r4', 'z']);
    expect(thin.df).toBe(2);
  });

  it('nothing to test with fewer than two categories', () => {
    expect(compareCategories(new Map([['a', 5]]), new Map([['a', 9]]))).toMatchObject({
      p: 1,
      method: 'none',
    });
    expect(() => compareCategories(new Map([['a', -1]]), new Map())).toThrow(/integer ≥ 0/);
  });
});

describe('distributions of one version', () => {
  it('describeNumeric: quantiles type 7, mean with t interval, median with order statistics', () => {
    const values = [5, 2, 5, 5, 4, 2, 5, 3, 5, 5, 1, 5];
    const d = describeNumeric(values);
    const sorted = [...values].sort((a, b) => a - b);
    expect(d).toMatchObject({ n: 12, min: 1, max: 5, median: 5 });
    expect(d.mean).toBeCloseTo(47 / 12, 14);
    expect(d.p25).toBe(sampleQuantile(sorted, 0.25));
    expect(d.p10).toBeCloseTo(sorted[1]! + 0.1 * (sorted[2]! - sorted[1]!), 14); // h = 1.1
    expect(d.meanCi!.lower).toBeLessThan(d.mean!);
    expect(d.medianCi).toMatchObject({ lowerRank: 3, upperRank: 10 });
    expect(describeNumeric([])).toMatchObject({ n: 0, mean: null, medianCi: null });
  });

  it('describeWeighted of (value, count) pairs equals describeNumeric of the values written out', () => {
    const close = (a: number | null | undefined, b: number | null | undefined): void => {
      if (a === null || a === undefined || b === null || b === undefined) {
        expect(a ?? null).toBe(b ?? null);
        return;
      }
      expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
    };
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: 0, max: 30 })), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 4 }),
        (raw, scale) => {
          const pairs = raw.map(([v, c]) => [v / scale, c] as [number, number]);
          const expanded = pairs.flatMap(([v, c]) => new Array<number>(c).fill(v));
          const w = describeWeighted(weightedSample(pairs));
          const d = describeNumeric(expanded);
          expect(w.n).toBe(d.n);
          for (const k of ['mean', 'stddev', 'median', 'min', 'max', 'p10', 'p25', 'p75', 'p90'] as const) {
            close(w[k], d[k]);
          }
          close(w.meanCi?.lower, d.meanCi?.lower);
          close(w.meanCi?.upper, d.meanCi?.upper);
          expect(w.medianCi).toEqual(d.medianCi);
        },
      ),
      { numRuns: 300 },
    );
    // A worked example: 3 × 1 and 9 × 5 → mean 4, median 5.
    const s = weightedSample([
      [5, 4],
      [1, 3],
      [5, 5],
      [7, 0],
    ]);
    expect([...s.values]).toEqual([1, 5]);
    expect([...s.cum]).toEqual([3, 12]);
    expect(describeWeighted(s)).toMatchObject({ n: 12, mean: 4, median: 5, min: 1, max: 5, p90: 5 });
    // q = 0.2: h = 11 · 0.2 = 2.2, between the 0-based order statistics x[2] = 1 and x[3] = 5.
    expect(weightedQuantile(s, 0.2)).toBeCloseTo(1 + 0.2 * 4, 14);
    expect(() => weightedSample([[1, -1]])).toThrow(/integers ≥ 0/);
  });

  it('describeProportion and describeCategories: rates with Wilson intervals', () => {
    expect(describeProportion(42, 75)).toEqual({
      n: 75,
      events: 42,
      rate: 0.56,
      ci: wilsonInterval({ events: 42, trials: 75 }),
    });
    expect(describeProportion(0, 0)).toEqual({ n: 0, events: 0, rate: null, ci: null });
    const c = describeCategories(
      new Map([
        ['off-topic', 5],
        ['helpful', 30],
        ['none', 0],
      ]),
    );
    expect(c.n).toBe(35);
    expect(c.categories.map((x) => [x.label, x.count])).toEqual([
      ['helpful', 30],
      ['off-topic', 5],
    ]);
    expect(c.categories[0]!.ci).toEqual(wilsonInterval({ events: 30, trials: 35 }));
  });

  it('rateEffects: risk difference and ratio', () => {
    expect(rateEffects({ events: 42, trials: 75 }, { events: 67, trials: 75 })).toEqual({
      difference: 67 / 75 - 42 / 75,
      ratio: 67 / 75 / (42 / 75),
    });
    expect(rateEffects({ events: 0, trials: 10 }, { events: 2, trials: 10 }).ratio).toBeNull();
  });
});

describe('score kinds', () => {
  it('0/1 values are boolean, labels categorical, anything else numeric', () => {
    expect(scoreKind({ values: [1, 0, 1] })).toBe('boolean');
    expect(scoreKind({ declared: ['numeric'], values: [1, 1] })).toBe('boolean');
    expect(scoreKind({ declared: ['boolean'], values: [1, 0.5] })).toBe('numeric');
    expect(scoreKind({ values: [5, 2, 5] })).toBe('numeric');
    expect(scoreKind({ values: [], labelled: 4 })).toBe('categorical');
    expect(scoreKind({ declared: ['categorical'], values: [1, 2], labelled: 4 })).toBe('categorical');
    expect(scoreKind({ declared: ['boolean'], values: [] })).toBe('boolean');
    expect(scoreKind({ values: [] })).toBe('numeric');
  });
});
