/**
 * Scores stored unresolved (`prompt_version = 0`: they reached ClickHouse before the generation they
 * judge) are resolved when read, by the same key lookups the score view makes at insert: the response
 * id first (`promptline_response_index`), then the score's own span (`promptline_span_index`). A
 * subquery aliased `u` selects them with {@link LATE_SCORE_KEYS}; {@link lateScoreJoins} joins the
 * generation, aliased `s` (its prompt name, version, label, environment, time). Both indexes are
 * key-value stores (EmbeddedRocksDB, or direct dictionaries on a cluster), so the joins are point
 * lookups: the engine's default `join_algorithm` picks the direct join for them.
 *
 * @module
 */

/** The columns of `promptline_scores` the late joins need: `span_key` and the response key. */
export const LATE_SCORE_KEYS = `span_key,
    if(response_id = '', '', concat(toString(length(project_id)), ':', toString(project_id), response_id)) AS response_key`;

/**
 * Joins an unresolved score subquery `u` to its generation `s` (inner: unmatched scores drop out).
 * `db` `''`: unqualified table names (SQL run by Grafana against the current database). The span
 * key is `coalesce(nullIf(…))`, not `if(r.span_key != '', …)`: under `join_use_nulls = 1` (some
 * Grafana panels) an unmatched `r.span_key` is NULL, and a Nullable key made the second join match
 * nothing.
 */
export function lateScoreJoins(db: string): string {
  const t = db === '' ? '' : `${db}.`;
  return `LEFT ANY JOIN ${t}promptline_response_index AS r ON r.response_key = u.response_key
INNER JOIN ${t}promptline_span_index AS s ON s.span_key = coalesce(nullIf(r.span_key, ''), u.span_key)`;
}
