/**
 * Special functions behind the distribution functions: log-gamma, the error function, the
 * regularized incomplete beta function and the regularized incomplete gamma function. Written from
 * their textbook definitions (Stirling's series with upward recurrence, the Maclaurin series of erf,
 * the Laplace continued fraction of erfc, the continued fraction of the incomplete beta, and the
 * series / Legendre continued fraction of the incomplete gamma, fractions evaluated with the
 * modified Lentz method). Checked against SciPy in test/statsReference.test.ts: the incomplete
 * beta and gamma agree to 1e-11 relative over a, b up to 2000 and values down to 1e-300 (measured
 * worst 2.6e-13 for the beta, 6.8e-13 for P; 2.3e-12 for Q, where mpmath shows the error is SciPy's).
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
 * ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a+b), arranged so that large arguments do not cancel
 * (subtracting ln Γ values of ~10⁴ would lose ~4 digits, of 10⁸ ~8):
 * - both ≥ 15: Stirling's series for all three, ½ln 2π + (a−½)ln(a/(a+b)) + (b−½)ln(b/(a+b))
 *   − ½ln(a+b) + s(a) + s(b) − s(a+b), each logarithm of a ratio taken with log1p;
 * - one ≥ 15: ln Γ(b+a) − ln Γ(b) = (b−½)·ln(1+a/b) + a·ln(a+b) − a + s(a+b) − s(b) for the large b;
 * - both < 15: the ln Γ values are small, used directly.
 */
export function lnBeta(a: number, b: number): number {
  const small = Math.min(a, b);
  const large = Math.max(a, b);
  if (small >= 15) {
    return (
      HALF_LN_2PI -
      (a - 0.5) * Math.log1p(b / a) -
      (b - 0.5) * Math.log1p(a / b) -
      0.5 * Math.log(a + b) +
      stirlingTail(a) +
      stirlingTail(b) -
      stirlingTail(a + b)
    );
  }
  if (large < 15) return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
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

/** erf(x) by its Maclaurin series, for |x| < ½ (used there only). */
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

/**
 * Complementary error function erfc(x) = 1 − erf(x), accurate in both tails: the Maclaurin series
 * of erf below ½, above it erfc(x) = Q(½, x²), the upper incomplete gamma (its series for x² < 1.5,
 * where erfc > 0.08, its continued fraction beyond). The alternating erf series is not used past ½,
 * where its terms grow and cancel.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 0.5) return 1 - erfSeries(x);
  const x2 = x * x;
  return x2 < 1.5 ? 1 - gammaSeries(0.5, x2) : gammaFraction(0.5, x2);
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

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1. Pass `complement` = 1 − x when
 * you have it more accurately than 1 − x rounds to (x near 1 with a large `a`: the prefactor
 * x^a (1−x)^b then keeps its digits).
 */
export function regularizedBeta(x: number, a: number, b: number, complement = 1 - x): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`regularizedBeta: a and b must be > 0 (got ${a}, ${b})`);
  if (Number.isNaN(x) || Number.isNaN(complement)) return NaN;
  if (x <= 0) return 0;
  if (x >= 1 || complement <= 0) return 1;
  const lnX = complement < 0.5 ? Math.log1p(-complement) : Math.log(x);
  const lnY = x < 0.5 ? Math.log1p(-x) : Math.log(complement);
  const front = Math.exp(a * lnX + b * lnY - lnBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaFraction(a, b, x)) / a;
  return 1 - (front * betaFraction(b, a, complement)) / b;
}

/**
 * ln(e^{−x} x^a / Γ(a)), the factor in front of both incomplete gamma forms. For a ≥ 15 it is
 * written with Stirling's series as a·ln(x/a) + (a − x) + ½·ln(a/2π) − s(a), so that a·ln x and
 * ln Γ(a) (each ~10⁴ at a = 1500) do not cancel.
 */
function lnGammaFront(a: number, x: number): number {
  if (a < 15) return -x + a * Math.log(x) - lnGamma(a);
  return a * Math.log1p((x - a) / a) + (a - x) + 0.5 * Math.log(a) - HALF_LN_2PI - stirlingTail(a);
}

/** P(a, x) by its series e^{−x} x^a / Γ(a+1) · Σ xⁿ / ((a+1)…(a+n)); converges fast for x < a + 1. */
function gammaSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 100_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < EPS * Math.abs(sum)) break;
  }
  return sum * Math.exp(lnGammaFront(a, x));
}

/**
 * Q(a, x) by Legendre's continued fraction e^{−x} x^a / Γ(a) · 1/(x+1−a − 1(1−a)/(x+3−a − 2(2−a)/(x+5−a − …))),
 * for x ≥ a + 1.
 */
function gammaFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    d = Math.abs(d) < TINY ? TINY : d;
    c = b + an / c;
    c = Math.abs(c) < TINY ? TINY : c;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(lnGammaFront(a, x)) * h;
}

function checkGamma(name: string, a: number, x: number): void {
  if (!(a > 0)) throw new RangeError(`${name}: a must be > 0 (got ${a})`);
  if (!(x >= 0)) throw new RangeError(`${name}: x must be ≥ 0 (got ${x})`);
}

/** Regularized lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), for a > 0 and x ≥ 0. */
export function regularizedGammaP(a: number, x: number): number {
  checkGamma('regularizedGammaP', a, x);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaFraction(a, x);
}

/** Regularized upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate (relative) in the upper tail. */
export function regularizedGammaQ(a: number, x: number): number {
  checkGamma('regularizedGammaQ', a, x);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaFraction(a, x);
}
