/**
 * Log-bucketed histograms for quantiles with a guaranteed relative error, stored as
 * `SimpleAggregateFunction(sumMap, Tuple(Array(Int16), Array(UInt64)))` (bucket key → count).
 *
 * A positive value x falls in bucket k = ⌈log_γ x⌉ (γ = 1.01), i.e. x ∈ (γ^(k−1), γ^k]; the bucket
 * is read back as 2γ^k/(γ+1), which is within (γ−1)/(γ+1) < 0.5% of every value in it. Negative
 * values use the same scheme shifted by −20000; zero (and NaN) has its own key −32768. A quantile
 * at level q is the bucket holding the order statistic of rank ⌊q·(n−1)⌋ (0-based), so it is within
 * 0.5% of that exact order statistic. Merging is a `sumMap` (hash-map addition): cheap and exact.
 *
 * These SQL fragments are the single definition used by the migrations (`{{hist:EXPR}}`) and the
 * query layer.
 *
 * @module
 */

/** Bucket growth factor γ. */
export const HIST_GAMMA = 1.01;
/** Key of the zero bucket. */
const ZERO_KEY = -32768;
/** Offset of negative-value keys. */
const NEG_OFFSET = 20000;
/** Keys are clamped to ±7000 (γ^7000 ≈ 1.6e30). */
const CLAMP = 7000;

const idx = (x: string): string =>
  `toInt16(greatest(-${CLAMP}, least(${CLAMP}, ceil(log(${x}) / log(${HIST_GAMMA})))))`;

/** SQL for the Int16 bucket key of a Float64 `x`. */
const KEY_OF_X = `multiIf(x > 0, ${idx('x')}, x < 0, toInt16(${idx('-x')} - ${NEG_OFFSET}), toInt16(${ZERO_KEY}))`;

/**
 * SQL for the one-value histogram of `expr` (Float64 or Nullable(Float64)); a NULL value adds
 * nothing. Sum these with `sumMap` to build a histogram.
 */
export function histValueSql(expr: string): string {
  // The value is bound once through a one-element arrayMap: repeating `expr` in every branch made
  // query planning several times slower.
  return `if(isNull(${expr}), (CAST([], 'Array(Int16)'), CAST([], 'Array(UInt64)')), (arrayMap(x -> ${KEY_OF_X}, [toFloat64(assumeNotNull(${expr}))]), [toUInt64(1)]))`;
}

/**
 * SQL for the histogram of `count` values equal to `expr` (a row of a `GROUP BY value` with its
 * count), in the shape of {@link histValueSql}; a NULL value adds nothing.
 */
export function histWeightedValueSql(expr: string, count: string): string {
  return `if(isNull(${expr}), (CAST([], 'Array(Int16)'), CAST([], 'Array(UInt64)')), (arrayMap(x -> ${KEY_OF_X}, [toFloat64(assumeNotNull(${expr}))]), [toUInt64(${count})]))`;
}

/**
 * Several histograms packed into one map: the bucket key of histogram number `m` is shifted by
 * `m * HIST_TAG` (an Int32 key), so `intDiv(key + 32768, HIST_TAG)` is `m` again.
 */
export const HIST_TAG = 65536;

/**
 * SQL for the one-row packed histogram of several values (`exprs[m]` goes to histogram `m`), as a
 * `Tuple(Array(Int32), Array(UInt64))` for `sumMap`; NULL values add nothing.
 */
export function histTaggedSql(exprs: readonly string[]): string {
  const keys = exprs.map(
    (e, m) =>
      `if(isNull(${e}), NULL, arrayMap(x -> toInt32(${KEY_OF_X}) + ${m * HIST_TAG}, [toFloat64(assumeNotNull(${e}))])[1])`,
  );
  // The key list is bound once through a one-element arrayMap (keys, then one count per key).
  return `arrayMap(ks -> (ks, arrayMap(k -> toUInt64(1), ks)), [arrayMap(k -> assumeNotNull(k), arrayFilter(k -> k IS NOT NULL, [${keys.join(', ')}]))])[1]`;
}

/** Histogram number and bucket key of a packed key (the inverse of the {@link HIST_TAG} shift). */
export function histUntag(key: number): [number, number] {
  const m = Math.floor((key + 32768) / HIST_TAG);
  return [m, key - m * HIST_TAG];
}

/** SQL for the representative value of bucket key `k`. */
export function histogramRepresentativeSql(k: string): string {
  const g = HIST_GAMMA;
  return `multiIf(${k} = ${ZERO_KEY}, 0., ${k} > -${NEG_OFFSET / 2}, 2 * pow(${g}, ${k}) / ${g + 1}, -2 * pow(${g}, ${k} + ${NEG_OFFSET}) / ${g + 1})`;
}

/**
 * SQL for `Array(Float64)` of quantiles at `levels` from a merged histogram expression `h`
 * (a `Tuple(Array(Int16), Array(UInt64))`); `nan` for an empty histogram. Lambdas only, so it
 * fits any SELECT list.
 */
export function histQuantilesExpr(h: string, levels: readonly number[]): string {
  for (const l of levels) {
    if (!(l >= 0 && l <= 1)) throw new Error(`quantile level ${l} is outside [0, 1]`);
  }
  const pairs = `arraySort(x -> x.1, arrayZip(arrayMap(k -> ${histogramRepresentativeSql('k')}, (${h}).1), (${h}).2))`;
  // The outer one-element arrayMap binds the sorted (value, count) pairs once.
  return `arrayMap((prs) -> arrayMap(p -> if(length(prs) = 0, nan,
      arrayElement(arrayMap(x -> x.1, prs), arrayFirstIndex(c -> c > floor(p * (arraySum(arrayMap(x -> x.2, prs)) - 1)), arrayCumSum(arrayMap(x -> x.2, prs))))),
    [${levels.join(', ')}]), [${pairs}])[1]`;
}

/** Representative value of bucket key `k` (the JS twin of the SQL above). */
export function histRepresentative(k: number): number {
  if (k === ZERO_KEY) return 0;
  if (k > -NEG_OFFSET / 2) return (2 * Math.pow(HIST_GAMMA, k)) / (HIST_GAMMA + 1);
  return (-2 * Math.pow(HIST_GAMMA, k + NEG_OFFSET)) / (HIST_GAMMA + 1);
}

/**
 * The place of bucket key `k` (an Int16, as stored) in the order of the buckets' representative
 * values, as a whole number in [0, 65535]: negative values (keys ≤ −10000; the larger the key, the
 * more negative the value), then zero, then positive values (keys > −10000, ascending). The same
 * branches as {@link histRepresentative}, so sorting keys by it sorts them by value, with no `pow`.
 */
function valueRank(k: number): number {
  if (k === ZERO_KEY) return 22_768;
  return k > -NEG_OFFSET / 2 ? 32_768 + k : -NEG_OFFSET / 2 - k;
}

const RANK_SHIFT = 2 ** 21;

/**
 * Quantiles at `levels` of a merged histogram given as parallel key/count arrays (as ClickHouse
 * returns a `sumMap` tuple); `null` for an empty histogram. Same rank rule as the SQL version: the
 * bucket holding the order statistic of rank ⌊q·(n−1)⌋, buckets in value order. Whole-number
 * Int16 keys (every stored key) are ordered by {@link valueRank} in one numeric sort; any other
 * key falls back to sorting by representative value (the same order where both apply).
 */
export function histQuantiles(
  keys: readonly number[],
  counts: ReadonlyArray<number | string>,
  levels: readonly number[],
): Array<number | null> {
  const len = keys.length;
  // Plain loops, no closures: this runs per group and histogram.
  let int16 = len < RANK_SHIFT;
  for (let i = 0; int16 && i < len; i++) {
    const k = keys[i] as number;
    int16 = Number.isInteger(k) && k >= -32768 && k <= 32767;
  }
  if (!int16) return histQuantilesByValue(keys, counts, levels);
  // rank · 2^21 + index: sorts by value order, and the index finds the count again.
  const order = new Float64Array(len);
  const c = new Float64Array(len);
  let total = 0;
  for (let i = 0; i < len; i++) {
    order[i] = valueRank(keys[i] as number) * RANK_SHIFT + i;
    c[i] = Number(counts[i] ?? 0);
    total += c[i] as number;
  }
  order.sort();
  const out: Array<number | null> = [];
  for (const q of levels) {
    if (total === 0) {
      out.push(null);
      continue;
    }
    const rank = Math.floor(q * (total - 1));
    let cum = 0;
    let found: number | null = null;
    for (let j = 0; j < len; j++) {
      const i = (order[j] as number) % RANK_SHIFT;
      cum += c[i] as number;
      if (cum > rank) {
        found = histRepresentative(keys[i] as number);
        break;
      }
    }
    out.push(
      found ??
        (len === 0 ? null : histRepresentative(keys[(order[len - 1] as number) % RANK_SHIFT] as number)),
    );
  }
  return out;
}

/**
 * {@link histQuantiles} of a histogram held in `keys[start..end)` and `counts[start..end)`, bucket
 * key `keys[i] − offset`, whose keys are already in value order (as one merged row's are: the engine
 * returns a `sumMap`'s keys ascending, and for values ≥ 0 key order is value order): two passes over
 * the run (check and total, then the walk), no copy and no sort. `undefined` when a key is out of
 * order or not an Int16 key, or the levels do not ascend; the caller then sorts ({@link histQuantiles}).
 */
export function orderedRunQuantiles(
  keys: readonly number[],
  counts: ReadonlyArray<number | string>,
  start: number,
  end: number,
  offset: number,
  levels: readonly number[],
): Array<number | null> | undefined {
  let total = 0;
  let last = -1;
  for (let i = start; i < end; i++) {
    const k = (keys[i] as number) - offset;
    if (!Number.isInteger(k) || k < -32768 || k > 32767) return undefined;
    const r = valueRank(k);
    if (r < last) return undefined;
    last = r;
    total += Number(counts[i]);
  }
  for (let i = 1; i < levels.length; i++)
    if ((levels[i] as number) < (levels[i - 1] as number)) return undefined;
  if (total === 0) return levels.map(() => null);
  const out: Array<number | null> = [];
  let j = 0;
  let rank = Math.floor((levels[0] as number) * (total - 1));
  let cum = 0;
  let lastKey = 0;
  for (let i = start; i < end && j < levels.length; i++) {
    const k = (keys[i] as number) - offset;
    cum += Number(counts[i]);
    lastKey = k;
    while (j < levels.length && cum > rank) {
      out.push(histRepresentative(k));
      j++;
      if (j < levels.length) rank = Math.floor((levels[j] as number) * (total - 1));
    }
  }
  while (out.length < levels.length) out.push(histRepresentative(lastKey));
  return out;
}

/** {@link orderedRunQuantiles} of a histogram held as a Map (bucket key → count), entries in order. */
export function orderedHistQuantiles(
  h: ReadonlyMap<number, number>,
  levels: readonly number[],
): Array<number | null> | undefined {
  return orderedRunQuantiles([...h.keys()], [...h.values()], 0, h.size, 0, levels);
}

/** {@link histQuantiles} by sorting (representative value, count) pairs: any key. */
export function histQuantilesByValue(
  keys: readonly number[],
  counts: ReadonlyArray<number | string>,
  levels: readonly number[],
): Array<number | null> {
  const pairs = keys.map((k, i) => [histRepresentative(k), Number(counts[i] ?? 0)] as const);
  pairs.sort((a, b) => a[0] - b[0]);
  const total = pairs.reduce((a, p) => a + p[1], 0);
  return levels.map((q) => {
    if (total === 0) return null;
    const rank = Math.floor(q * (total - 1));
    let cum = 0;
    for (const [v, c] of pairs) {
      cum += c;
      if (cum > rank) return v;
    }
    return pairs[pairs.length - 1]?.[0] ?? null;
  });
}

/** Bucket key of one value (the JS twin of {@link histValueSql}). */
export function histKey(x: number): number {
  const idx = (v: number): number =>
    Math.max(-CLAMP, Math.min(CLAMP, Math.ceil(Math.log(v) / Math.log(HIST_GAMMA))));
  if (x > 0) return idx(x);
  if (x < 0) return idx(-x) - NEG_OFFSET;
  return ZERO_KEY;
}
