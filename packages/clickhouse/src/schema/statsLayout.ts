import { HIST_TAG, histTaggedSql } from './histogram.js';

/**
 * The packed columns of `promptline_version_stats`: one definition for the migrations (through
 * `{{stats:…}}` directives), the compatibility views and the query layer.
 *
 * A reader of a small window pays a fixed engine cost per column read, so the per-version figures
 * are packed into three maps instead of twenty columns (measured: a 7-day window ~8 ms faster):
 * - `counts` Map(UInt8, UInt64): key = index in {@link STAT_COUNTS};
 * - `sums` Map(UInt8, Float64): key = index in {@link STAT_SUMS};
 * - `hist` Map(Int32, UInt64): the histograms of {@link STAT_HISTOGRAMS}, histogram `m`'s bucket keys
 *   shifted by `m * HIST_TAG` (see histogram.ts).
 * All three merge with `sumMap`. The views `promptline_version_stats_1h` / `_1d` unpack them into the
 * named columns of the earlier layout.
 *
 * @module
 */

/** How a packed figure is computed from `promptline_generations` rows (alias `g`). */
interface Figure {
  /** Column name in the unpacked views and the query layer. */
  name: string;
  /** `count` (rows), `sum` of `expr`, or `count` of rows where `expr` holds. */
  kind: 'rows' | 'sum' | 'countIf';
  expr: string;
  /** Migration that added the figure (absent from the earlier named-column layout). */
  addedIn?: number;
}

/** Counters (UInt64), in `counts` key order. */
export const STAT_COUNTS = [
  { name: 'requests', kind: 'rows', expr: '' },
  { name: 'errors', kind: 'sum', expr: 'g.is_error' },
  { name: 'ttft_count', kind: 'countIf', expr: 'g.ttft_ms IS NOT NULL' },
  { name: 'input_tokens', kind: 'sum', expr: 'g.input_tokens' },
  { name: 'output_tokens', kind: 'sum', expr: 'g.output_tokens' },
  { name: 'cache_read_tokens', kind: 'sum', expr: 'g.cache_read_tokens' },
  { name: 'reasoning_tokens', kind: 'sum', expr: 'g.reasoning_tokens' },
  { name: 'validated', kind: 'countIf', expr: 'g.validation_passed IS NOT NULL' },
  { name: 'validation_passed', kind: 'countIf', expr: 'g.validation_passed = 1' },
  // Generations that used tokens but have no cost: no span cost and no price for their model.
  {
    name: 'unpriced',
    kind: 'countIf',
    expr: "g.cost_source = 'none' AND g.input_tokens + g.output_tokens > 0",
    addedIn: 13,
  },
] as const satisfies readonly Figure[];

/** Sums (Float64), in `sums` key order. */
export const STAT_SUMS = [
  { name: 'latency_ms_sum', kind: 'sum', expr: 'g.latency_ms' },
  { name: 'ttft_ms_sum', kind: 'sum', expr: 'ifNull(g.ttft_ms, 0.)' },
  { name: 'cost_usd', kind: 'sum', expr: 'g.cost_usd' },
  { name: 'input_cost_usd', kind: 'sum', expr: 'g.input_cost_usd' },
  { name: 'output_cost_usd', kind: 'sum', expr: 'g.output_cost_usd' },
] as const satisfies readonly Figure[];

/** Name of a packed counter or sum (a numeric field of the query layer's groups). */
export type StatFigureName = (typeof STAT_COUNTS)[number]['name'] | (typeof STAT_SUMS)[number]['name'];

/**
 * Histograms, in tag order: latency of every generation; TTFT where measured; total tokens and
 * cost of successful generations only (errors carry no usage).
 */
export const STAT_HISTOGRAMS: ReadonlyArray<{ name: string; expr: string }> = [
  { name: 'latency_ms_h', expr: 'g.latency_ms' },
  { name: 'ttft_ms_h', expr: 'g.ttft_ms' },
  { name: 'total_tokens_h', expr: 'if(g.is_error = 0, toFloat64(g.input_tokens + g.output_tokens), NULL)' },
  { name: 'cost_usd_h', expr: 'if(g.is_error = 0, g.cost_usd, NULL)' },
];

const aggregate = (f: Figure): string =>
  f.kind === 'rows' ? 'count()' : f.kind === 'sum' ? `sum(${f.expr})` : `countIf(${f.expr})`;

const packMap = (figures: readonly Figure[], value: (f: Figure) => string, type: string): string =>
  `map(${figures.map((f, i) => `${i}, to${type}(${value(f)})`).join(', ')})`;

/**
 * The packed columns aggregated over `promptline_generations AS g` rows (used in a GROUP BY):
 * `counts, sums, hist, first_seen, last_seen`.
 */
export function statsAggregateSql(): string {
  return `${packMap(STAT_COUNTS, aggregate, 'UInt64')} AS counts,
    ${packMap(STAT_SUMS, aggregate, 'Float64')} AS sums,
    CAST(sumMap(${histTaggedSql(STAT_HISTOGRAMS.map((h) => h.expr))}), 'Map(Int32, UInt64)') AS hist,
    min(g.timestamp) AS first_seen,
    max(g.timestamp) AS last_seen`;
}

/** The named columns of the earlier layout, unpacked from `counts`, `sums` and `hist`. */
export function statsUnpackSql(): string {
  const counts = STAT_COUNTS.map((f, i) => `counts[${i}] AS ${f.name}`);
  const sums = STAT_SUMS.map((f, i) => `sums[${i}] AS ${f.name}`);
  const hists = STAT_HISTOGRAMS.map((h, m) => {
    const part = `mapFilter((k, v) -> intDiv(k + 32768, ${HIST_TAG}) = ${m}, hist)`;
    return `(arrayMap(k -> toInt16(k - ${m * HIST_TAG}), mapKeys(${part})), mapValues(${part})) AS ${h.name}`;
  });
  return [...counts, ...sums, ...hists].join(',\n    ');
}

/** `counts, sums, hist` packed from the named columns of the earlier layout (for the backfill). */
export function statsPackColumnsSql(): string {
  // Figures added later were not columns of the earlier layout (they are the last keys, so the
  // others keep their indices).
  const counts = packMap(
    STAT_COUNTS.filter((f: Figure) => f.addedIn === undefined),
    (f) => f.name,
    'UInt64',
  );
  const sums = packMap(STAT_SUMS, (f) => f.name, 'Float64');
  const keys = STAT_HISTOGRAMS.map((h, m) => `arrayMap(k -> toInt32(k) + ${m * HIST_TAG}, ${h.name}.1)`);
  const values = STAT_HISTOGRAMS.map((h) => `${h.name}.2`);
  return `${counts} AS counts,
    ${sums} AS sums,
    mapFromArrays(arrayConcat(${keys.join(', ')}), arrayConcat(${values.join(', ')})) AS hist`;
}
