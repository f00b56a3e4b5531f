/**
 * Holm–Bonferroni step-down adjustment of a family of p-values, returned in input order:
 * sorted ascending, p₍ᵢ₎ is multiplied by (m − i + 1), capped at 1, and made non-decreasing.
 * Rejecting where the adjusted p < α controls the family-wise error rate at α.
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  for (const p of pValues) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holmAdjust: p-values must be in [0, 1] (got ${p})`);
  }
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    out[i] = running;
  });
  return out;
}
