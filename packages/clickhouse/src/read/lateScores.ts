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

import type { ClickHouseClient } from '@clickhouse/client';
import { chTime, select } from './select.js';

/**
 * Whether `project` has a score stored unresolved at or after `since`: what the late joins would
 * read. A range read at the start of the scores table's key (`project_id, prompt_name = '',
 * prompt_version = 0, …`), a few ms; planning the late joins costs several times that even when they
 * join nothing, so a read that would join none leaves them out. A score stored after this check is
 * as if it had arrived after the read.
 */
export async function hasLateScores(
  client: ClickHouseClient,
  db: string,
  project: string,
  since: Date,
): Promise<boolean> {
  const rows = await select<{ one: number }>(
    client,
    `SELECT 1 AS one FROM ${db}.promptline_scores
WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
  AND timestamp >= {since:DateTime64(3, 'UTC')}
LIMIT 1`,
    { project, since: chTime(since.getTime()) },
  );
  return rows.length > 0;
}

/** How a score read treats scores stored before their generation. */
export interface LateScoresOption {
  /**
   * Whether unresolved scores may exist (read them with the late joins). Default: asked with
   * {@link hasLateScores} (a caller reading scores several times asks once and passes the answer).
   */
  late?: boolean;
}

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
