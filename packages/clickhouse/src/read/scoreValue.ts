/**
 * The numeric value of a `promptline_scores` row as every score reader sees it: its `value`, or
 * for a declared boolean score that carries only a label, 1 for `true` / `1` and 0 for `false` /
 * `0` (any case); NULL for a label-only score otherwise.
 */
export const SCORE_VALUE_SQL = `if(value IS NULL AND data_type = 'boolean',
    multiIf(lower(label) IN ('true', '1'), 1., lower(label) IN ('false', '0'), 0., NULL), value)`;
