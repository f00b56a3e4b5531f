/**
 * Special functions behind the distribution functions: log-gamma, the error function and the
 * regularized incomplete beta function. Written from their textbook definitions (Stirling's series
 * with upward recurrence, the Maclaurin series of erf, the Laplace continued fraction of erfc, and
 * the continued fraction of the incomplete beta evaluated with the modified Lentz method).
 * Accuracy is far better than 1e-7 over the ranges the tests use.
 *
 * @module
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);
const TINY = 1e-300;
const EPS = 1e-15;

/** Stirling's series correction s(z) = ln Γ(z) − ((z−½)ln z − z + ½ln 2π), for z ≥ 15. */
function stirlingTail(z: number): number {
  const z2 = 1 / (z * z);
  // Bernoulli-number coefficients B2k / (2k(2k-1)): 1/12, -1/360, 1/1260, -1/1680, 1/1188.
  return (1 / z) * (1 / 12 + z2 * (-1 / 360 + z2 * (1 / 1260 + z2 * (-1 / 1680 + z2 * (1 / 1188)))));
}

/**
 * ln Γ(x) for x > 0: shifts x up to ≥ 15 with Γ(x+1) = xΓ(x), then Stirling's series
 * (terms to x⁻⁹, error below 1e-16 there).
 */
export function lnGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`lnGamma: x must be > 0 (got ${x})`);
  let shift = 0;
  let z = x;
  while (z < 15) {
    shift += Math.log(z);
    z += 1;
  }
  return (z - 0.5) * Math.log(z) - z + HALF_LN_2PI + stirlingTail(z) - shift;
}

/**
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b). When one argument is large, ln Γ(b+a) − ln Γ(b) is
 * formed from Stirling's series directly, (b−½)·ln(1+a/b) + a·ln(a+b) − a + s(a+b) − s(b), instead
 * of subtracting two huge logarithms (which would lose ~8 digits at b = 10⁸).
 */
export function lnBeta(a: number, b: number): number {
  const small = Math.min(a, b);
  const large = Math.max(a, b);
  if (large < 1e4) return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  const ratio =
    (large - 0.5) * Math.log1p(small / large) +
    small * Math.log(large + small) -
    small +
    stirlingTail(large + small) -
    stirlingTail(large);
  return lnGamma(small) - ratio;
}

/** ln(n!) for an integer n ≥ 0. */
export function lnFactorial(n: number): number {
  return n < 2 ? 0 : lnGamma(n + 1);
}

/** erf(x) by its Maclaurin series, for |x| ≤ 3 (used there only). */
function erfSeries(x: number): number {
  // erf x = 2/√π Σ (-1)^k x^(2k+1) / (k! (2k+1))
  let term = x;
  let sum = x;
  const x2 = x * x;
  for (let k = 1; k < 200; k++) {
    term *= -x2 / k;
    const add = term / (2 * k + 1);
    sum += add;
    if (Math.abs(add) < EPS * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) for x > 0 by the continued fraction erfc x = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcFraction(x: number): number {
  // Modified Lentz on b0 + a1/(b1 + a2/(b2 + …)) with b = x, a_k = k/2.
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = x + a / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** Complementary error function erfc(x) = 1 − erf(x), accurate in both tails. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) return 1 - erfSeries(x);
  return erfcFraction(x);
}

/** Continued fraction of the incomplete beta (converges fast for x < (a+1)/(a+b+2)). */
function betaFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  d = Math.abs(d) < TINY ? TINY : d;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < 100_000; m++) {
    const m2 = 2 * m;
    // Even step: d_{2m} = m(b−m)x / ((a+2m−1)(a+2m)).
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = 1 + aa / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    h *= d * c;
    // Odd step: d_{2m+1} = −(a+m)(a+b+m)x / ((a+2m)(a+2m+1)).
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    d = Math.abs(d) < TINY ? TINY : d;
    c = 1 + aa / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`regularizedBeta: a and b must be > 0 (got ${a}, ${b})`);
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = a * Math.log(x) + b * Math.log1p(-x) - lnBeta(a, b);
  const front = Math.exp(lnFront);
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a;
  return 1 - (front * betaFraction(b, a, 1 - x)) / b;
}
