import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareProportions, fisherExactTest, twoProportionZTest } from '../src/stats/proportions.js';
import { exactUDistribution, mannWhitneyU } from '../src/stats/mannWhitney.js';
import { holmAdjust } from '../src/stats/holm.js';
import { normalCdf, normalTwoSided, studentTCdf, studentTTwoSided } from '../src/stats/distributions.js';
import { welchTTest } from '../src/stats/welch.js';
import { lnBeta, lnGamma, regularizedBeta } from '../src/stats/special.js';
import { gaussian, mulberry32 } from '../../../test/kit/random.js';

/**
 * The statistics behind compareVersions, checked against values computed here from definitions
 * (numerical integration, closed forms, brute-force enumeration), plus properties (symmetry,
 * monotonicity) and the calibration of p-values under the null in seeded simulations.
 */

/** Composite Simpson's rule with `steps` (even) intervals. */
function simpson(f: (x: number) => number, a: number, b: number, steps = 20_000): number {
  const h = (b - a) / steps;
  let s = f(a) + f(b);
  for (let i = 1; i < steps; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);

function tPdf(x: number, df: number): number {
  const c = Math.exp(lnGamma((df + 1) / 2) - lnGamma(df / 2)) / Math.sqrt(df * Math.PI);
  return c * Math.pow(1 + (x * x) / df, -(df + 1) / 2);
}

function binomial(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** Every way of choosing `m` of the indices 0…N−1. */
function* combinations(N: number, m: number, start = 0, acc: number[] = []): Generator<number[]> {
  if (acc.length === m) {
    yield acc;
    return;
  }
  for (let i = start; i <= N - (m - acc.length); i++) {
    acc.push(i);
    yield* combinations(N, m, i + 1, acc);
    acc.pop();
  }
}

/** U of x: pairs x > y plus half the ties, by counting pairs. */
function pairU(x: readonly number[], y: readonly number[]): number {
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  return u;
}

describe('special functions and distributions', () => {
  it('lnGamma: factorials, Γ(½) = √π and the recurrence', () => {
    let f = 1;
    for (let n = 1; n <= 25; n++) {
      f *= n;
      expect(lnGamma(n + 1)).toBeCloseTo(Math.log(f), 10);
    }
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e4, noNaN: true }), (x) => {
        expect(Math.abs(lnGamma(x + 1) - lnGamma(x) - Math.log(x))).toBeLessThan(
          1e-9 * Math.max(1, lnGamma(x + 1)),
        );
      }),
    );
  });

  it('lnBeta keeps its digits for a huge argument', () => {
    // ln Γ(b+½) − ln Γ(b) = ½ ln b − 1/(8b) + O(b⁻³).
    for (const b of [1e4, 1e6, 1e8]) {
      expect(lnBeta(0.5, b)).toBeCloseTo(lnGamma(0.5) - 0.5 * Math.log(b) + 1 / (8 * b), 12);
    }
    // Continuous where the method switches (1e4).
    expect(lnBeta(3.5, 9999.999)).toBeCloseTo(lnGamma(3.5) + lnGamma(9999.999) - lnGamma(10003.499), 9);
  });

  it('normal CDF matches the integral of the density to 1e-9, and is symmetric', () => {
    for (const z of [-6, -4.2, -3, -2.5, -1.96, -1, -0.3, 0, 0.7, 1.5, 2.326, 3.3, 5]) {
      const integral = z < 0 ? simpson(normalPdf, -12, z) : 0.5 + simpson(normalPdf, 0, z);
      expect(Math.abs(normalCdf(z) - integral), `z=${z}`).toBeLessThan(1e-9);
    }
    // Relative accuracy in the far tail (the form used for tiny p-values).
    const tail = simpson(normalPdf, 7, 20);
    expect(Math.abs(normalCdf(-7) / tail - 1)).toBeLessThan(1e-7);
    fc.assert(
      fc.property(fc.double({ min: -30, max: 30, noNaN: true }), (z) => {
        expect(normalCdf(z) + normalCdf(-z)).toBeCloseTo(1, 12);
        expect(normalTwoSided(z)).toBeCloseTo(2 * normalCdf(-Math.abs(z)), 14);
      }),
    );
  });

  it('Student t CDF: closed forms for df 1 and 2, and the integral of the density', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e3, max: 1e3, noNaN: true }), (t) => {
        expect(Math.abs(studentTCdf(t, 1) - (0.5 + Math.atan(t) / Math.PI))).toBeLessThan(1e-12);
        expect(Math.abs(studentTCdf(t, 2) - (0.5 + t / (2 * Math.sqrt(2 + t * t))))).toBeLessThan(1e-12);
      }),
    );
    for (const df of [3, 4.5, 7, 12.3, 30, 120]) {
      for (const t of [0.2, 1, 2.1, 3.5]) {
        const expected = 0.5 + simpson((x) => tPdf(x, df), 0, t);
        expect(Math.abs(studentTCdf(t, df) - expected), `t=${t} df=${df}`).toBeLessThan(1e-9);
        expect(studentTTwoSided(t, df)).toBeCloseTo(2 * (1 - expected), 9);
      }
    }
    // Converges to the normal as df grows.
    expect(Math.abs(studentTCdf(1.7, 1e8) - normalCdf(1.7))).toBeLessThan(1e-8);
  });

  it('incomplete beta: the binomial sum for integer parameters, and its symmetry', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 25 }),
        fc.integer({ min: 1, max: 25 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (a, b, x) => {
          const n = a + b - 1;
          let sum = 0;
          for (let j = a; j <= n; j++) sum += Number(binomial(n, j)) * x ** j * (1 - x) ** (n - j);
          expect(Math.abs(regularizedBeta(x, a, b) - sum)).toBeLessThan(1e-10);
          expect(regularizedBeta(x, a, b) + regularizedBeta(1 - x, b, a)).toBeCloseTo(1, 10);
        },
      ),
    );
  });
});

describe('Mann–Whitney U', () => {
  const distinct = (max: number): fc.Arbitrary<number[]> =>
    fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 2, maxLength: max });

  it('exact p equals the permutation p-value by enumerating every split (no ties)', () => {
    fc.assert(
      fc.property(distinct(11), fc.integer({ min: 1, max: 5 }), (pool, mRaw) => {
        const m = Math.min(mRaw, pool.length - 1);
        const x = pool.slice(0, m);
        const y = pool.slice(m);
        const observed = pairU(x, y);
        let lower = 0;
        let upper = 0;
        let total = 0;
        for (const pick of combinations(pool.length, m)) {
          const set = new Set(pick);
          const u = pairU(
            pool.filter((_, i) => set.has(i)),
            pool.filter((_, i) => !set.has(i)),
          );
          total++;
          if (u <= observed) lower++;
          if (u >= observed) upper++;
        }
        const r = mannWhitneyU(x, y);
        expect(r.method).toBe('exact');
        expect(r.u).toBe(observed);
        expect(r.p).toBeCloseTo(Math.min(1, (2 * Math.min(lower, upper)) / total), 12);
      }),
      { numRuns: 60 },
    );
  });

  it('the exact null distribution is a distribution, symmetric about m·n/2', () => {
    for (const [m, n] of [
      [1, 1],
      [3, 7],
      [12, 9],
      [50, 50],
    ] as const) {
      const cdf = exactUDistribution(m, n);
      expect(cdf.length).toBe(m * n + 1);
      expect(cdf[m * n]!).toBeCloseTo(1, 12);
      for (let u = 0; u < m * n; u++) {
        const pu = cdf[u]! - (u > 0 ? cdf[u - 1]! : 0);
        const mirror = m * n - u;
        const pm = cdf[mirror]! - (mirror > 0 ? cdf[mirror - 1]! : 0);
        expect(Math.abs(pu - pm)).toBeLessThan(1e-12);
      }
    }
  });

  it('normal approximation uses the permutation variance of U (ties included)', () => {
    // Small integer range forces ties; 13 values > exact only with ties, so 'normal' is used.
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 3, maxLength: 6 }),
        (x, y) => {
          const pool = [...x, ...y];
          fc.pre(new Set(pool).size > 1 && new Set(pool).size < pool.length);
          let s = 0;
          let s2 = 0;
          let count = 0;
          for (const pick of combinations(pool.length, x.length)) {
            const set = new Set(pick);
            const u = pairU(
              pool.filter((_, i) => set.has(i)),
              pool.filter((_, i) => !set.has(i)),
            );
            s += u;
            s2 += u * u;
            count++;
          }
          const mean = s / count;
          const variance = s2 / count - mean * mean;
          const r = mannWhitneyU(x, y);
          expect(r.method).toBe('normal');
          expect(mean).toBeCloseTo((x.length * y.length) / 2, 9);
          const diff = r.u - mean;
          const expectedZ = (Math.sign(diff) * Math.max(0, Math.abs(diff) - 0.5)) / Math.sqrt(variance);
          expect(r.z!).toBeCloseTo(expectedZ, 9);
          expect(r.p).toBeCloseTo(normalTwoSided(expectedZ), 12);
        },
      ),
      { numRuns: 80 },
    );
  });

  it('swapping the samples keeps p and negates Cliff’s delta, which matches pair counting', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 70 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 70 }),
        (x, y) => {
          const a = mannWhitneyU(x, y);
          const b = mannWhitneyU(y, x);
          expect(a.p).toBeCloseTo(b.p, 12);
          expect(a.p).toBeGreaterThanOrEqual(0);
          expect(a.p).toBeLessThanOrEqual(1);
          expect(a.u + b.u).toBeCloseTo(x.length * y.length, 9);
          expect(a.cliffsDelta).toBeCloseTo(-b.cliffsDelta, 12);
          let gt = 0;
          let lt = 0;
          for (const u of x) {
            for (const v of y) {
              if (v > u) gt++;
              else if (v < u) lt++;
            }
          }
          expect(a.cliffsDelta).toBeCloseTo((gt - lt) / (x.length * y.length), 12);
        },
      ),
    );
  });

  it('rejects empty or non-finite samples', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(/at least one value/);
    expect(() => mannWhitneyU([1, NaN], [1])).toThrow(/finite/);
  });
});

describe("Welch's t-test", () => {
  const moments = fc.record({
    n: fc.integer({ min: 2, max: 10_000 }),
    mean: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
    variance: fc.double({ min: 1e-6, max: 1e4, noNaN: true }),
  });

  it('is antisymmetric in its groups', () => {
    fc.assert(
      fc.property(moments, moments, (a, b) => {
        const ab = welchTTest(a, b);
        const ba = welchTTest(b, a);
        expect(ab.t).toBeCloseTo(-ba.t, 9);
        expect(ab.df).toBeCloseTo(ba.df, 9);
        expect(ab.p).toBeCloseTo(ba.p, 12);
        expect(ab.df).toBeGreaterThanOrEqual(Math.min(a.n, b.n) - 1 - 1e-9);
        expect(ab.df).toBeLessThanOrEqual(a.n + b.n - 2 + 1e-9);
      }),
    );
  });

  it('equals the pooled t-test with df = 2n − 2 for equal sizes and variances', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        (n, v, d) => {
          const r = welchTTest({ n, mean: 0, variance: v }, { n, mean: d, variance: v });
          const pooledT = d / Math.sqrt(v * (2 / n));
          expect(r.df).toBeCloseTo(2 * n - 2, 9);
          expect(r.t).toBeCloseTo(pooledT, 9);
          expect(r.p).toBeCloseTo(studentTTwoSided(pooledT, 2 * n - 2), 12);
        },
      ),
    );
  });

  it('handles zero variance and rejects n < 2', () => {
    expect(welchTTest({ n: 5, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 0 }).p).toBe(1);
    expect(welchTTest({ n: 5, mean: 1, variance: 0 }, { n: 5, mean: 2, variance: 0 }).p).toBe(0);
    expect(() => welchTTest({ n: 1, mean: 1, variance: 0 }, { n: 5, mean: 1, variance: 1 })).toThrow(/n ≥ 2/);
  });
});

describe('proportions', () => {
  it("Fisher's exact p equals the hypergeometric sum computed with exact integers", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 30 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (r1, r2, f1, f2) => {
          const a = Math.round(f1 * r1);
          const b = Math.round(f2 * r2);
          const c1 = a + b;
          const denom = binomial(r1 + r2, c1);
          const prob = (k: number): bigint => binomial(r1, k) * binomial(r2, c1 - k);
          const observed = prob(a);
          let sum = 0n;
          for (let k = Math.max(0, c1 - r2); k <= Math.min(r1, c1); k++) {
            // "no more likely than observed", with the same 1e-7 relative tolerance
            if (Number(prob(k)) <= Number(observed) * (1 + 1e-7)) sum += prob(k);
          }
          const expected = Number(sum) / Number(denom);
          expect(fisherExactTest({ events: a, trials: r1 }, { events: b, trials: r2 })).toBeCloseTo(
            Math.min(1, expected),
            9,
          );
        },
      ),
    );
  });

  it("the z-test's z² is Pearson's chi-square of the 2×2 table", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 5000 }),
        fc.integer({ min: 5, max: 5000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n1, n2, f1, f2) => {
          const e1 = Math.round(f1 * n1);
          const e2 = Math.round(f2 * n2);
          fc.pre(e1 + e2 > 0 && e1 + e2 < n1 + n2);
          const cells = [
            [e1, n1 - e1],
            [e2, n2 - e2],
          ];
          const N = n1 + n2;
          const col = [e1 + e2, N - e1 - e2];
          const row = [n1, n2];
          let chi2 = 0;
          for (let i = 0; i < 2; i++) {
            for (let j = 0; j < 2; j++) {
              const expected = (row[i]! * col[j]!) / N;
              chi2 += (cells[i]![j]! - expected) ** 2 / expected;
            }
          }
          const { z } = twoProportionZTest({ events: e1, trials: n1 }, { events: e2, trials: n2 });
          expect(z * z).toBeCloseTo(chi2, 6);
          expect(Math.sign(z)).toBe(Math.sign(e2 / n2 - e1 / n1));
        },
      ),
    );
  });

  it('picks Fisher for small expected counts and z otherwise', () => {
    expect(compareProportions({ events: 1, trials: 40 }, { events: 6, trials: 40 }).method).toBe('fisher');
    const big = compareProportions({ events: 30, trials: 1000 }, { events: 60, trials: 1000 });
    expect(big.method).toBe('z');
    expect(big.rateDifference).toBeCloseTo(0.03, 12);
    expect(() => compareProportions({ events: 5, trials: 3 }, { events: 1, trials: 3 })).toThrow(/outside/);
  });
});

describe('Holm–Bonferroni', () => {
  it('matches the step-down definition, is monotone, and lies between p and Bonferroni', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 30 }),
        (ps) => {
          const adj = holmAdjust(ps);
          const m = ps.length;
          const sorted = ps.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
          let running = 0;
          sorted.forEach(({ p, i }, k) => {
            running = Math.max(running, Math.min(1, (m - k) * p));
            expect(adj[i]).toBeCloseTo(running, 14);
          });
          ps.forEach((p, i) => {
            expect(adj[i]!).toBeGreaterThanOrEqual(p);
            expect(adj[i]!).toBeLessThanOrEqual(Math.min(1, m * p) + 1e-15);
            ps.forEach((q, j) => {
              if (p <= q) expect(adj[i]!).toBeLessThanOrEqual(adj[j]!);
            });
          });
        },
      ),
    );
    expect(holmAdjust([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(() => holmAdjust([1.5])).toThrow(/\[0, 1\]/);
  });
});

describe('calibration under the null (seeded simulations)', () => {
  const rnd = mulberry32(2026);
  const gauss = (): number => gaussian(rnd);
  const lognormal = (): number => Math.exp(gauss());

  /** p-values should be roughly uniform: each decile holds 10% ± 3.5% and P(p < 0.05) is 5% ± 2%. */
  function expectUniformish(ps: number[], what: string): void {
    const deciles = new Array<number>(10).fill(0);
    for (const p of ps) deciles[Math.min(9, Math.floor(p * 10))]!++;
    for (const d of deciles)
      expect(Math.abs(d / ps.length - 0.1), `${what}: ${deciles.join(',')}`).toBeLessThan(0.035);
    const rejections = ps.filter((p) => p < 0.05).length / ps.length;
    expect(Math.abs(rejections - 0.05), `${what}: ${rejections}`).toBeLessThan(0.02);
  }

  it('Mann–Whitney (normal approximation) on heavy-tailed data', () => {
    const ps: number[] = [];
    for (let r = 0; r < 1500; r++) {
      const x = Array.from({ length: 60 }, lognormal);
      const y = Array.from({ length: 80 }, lognormal);
      ps.push(mannWhitneyU(x, y).p);
    }
    expectUniformish(ps, 'mwu');
  });

  it('Mann–Whitney exact keeps its level (never above α)', () => {
    let rejections = 0;
    const runs = 1500;
    for (let r = 0; r < runs; r++) {
      const x = Array.from({ length: 8 }, lognormal);
      const y = Array.from({ length: 10 }, lognormal);
      if (mannWhitneyU(x, y).p < 0.05) rejections++;
    }
    // The exact test is conservative for discrete U: at most α, plus simulation noise.
    expect(rejections / runs).toBeLessThan(0.05 + 0.015);
    expect(rejections / runs).toBeGreaterThan(0.02);
  });

  it("Welch's t on normal data with unequal variances", () => {
    const ps: number[] = [];
    const stats = (xs: number[]): { n: number; mean: number; variance: number } => {
      const mean = xs.reduce((a, v) => a + v, 0) / xs.length;
      const variance = xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (xs.length - 1);
      return { n: xs.length, mean, variance };
    };
    for (let r = 0; r < 1500; r++) {
      const x = Array.from({ length: 12 }, () => 5 + gauss());
      const y = Array.from({ length: 40 }, () => 5 + 3 * gauss());
      ps.push(welchTTest(stats(x), stats(y)).p);
    }
    expectUniformish(ps, 'welch');
  });

  it('two-proportion z-test at a 10% rate', () => {
    const ps: number[] = [];
    for (let r = 0; r < 1500; r++) {
      let a = 0;
      let b = 0;
      for (let i = 0; i < 400; i++) if (rnd() < 0.1) a++;
      for (let i = 0; i < 500; i++) if (rnd() < 0.1) b++;
      ps.push(twoProportionZTest({ events: a, trials: 400 }, { events: b, trials: 500 }).p);
    }
    const rejections = ps.filter((p) => p < 0.05).length / ps.length;
    expect(Math.abs(rejections - 0.05)).toBeLessThan(0.02);
  });
});
