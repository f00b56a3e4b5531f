import type { ScoreDataType } from '@promptline/semconv';

/**
 * How a score is summarised and compared, from what was declared (`promptline.score.data_type`)
 * and what was seen.
 *
 * @module
 */

/** `boolean`: pass / fail (rates); `categorical`: labels (counts per label); `numeric`: values. */
export type ScoreKind = 'numeric' | 'boolean' | 'categorical';

/** What is known about one score across the versions compared. */
export interface ScoreKindInput {
  /** Declared data types seen (any side), e.g. from `promptline.score.data_type`. */
  declared?: Iterable<ScoreDataType | string | undefined>;
  /** Numeric values seen (all sides). */
  values: Iterable<number>;
  /** Number of labelled (categorical) values seen (all sides). */
  labelled?: number;
}

/**
 * The kind of a score:
 * - `categorical` when it was declared categorical, or has labels but no numeric value;
 * - `boolean` when every numeric value is 0 or 1 (declared boolean or not: the mean of 0/1 values
 *   is a pass rate, and rates are compared as proportions);
 * - `numeric` otherwise — also when declared boolean but carrying other values, which a rate
 *   would misread.
 *
 * @example
 * scoreKind({ values: [1, 0, 1, 1] }) // 'boolean'
 * scoreKind({ values: [5, 2, 5, 4] }) // 'numeric'
 */
export function scoreKind(input: ScoreKindInput): ScoreKind {
  const declared = new Set(input.declared ?? []);
  let count = 0;
  let binary = true;
  for (const v of input.values) {
    count++;
    if (v !== 0 && v !== 1) binary = false;
  }
  const labelled = input.labelled ?? 0;
  if (labelled > 0 && (declared.has('categorical') || count === 0)) return 'categorical';
  if (count > 0 && binary) return 'boolean';
  if (count === 0 && declared.has('boolean')) return 'boolean';
  return 'numeric';
}
