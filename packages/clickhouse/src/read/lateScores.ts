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
import { DEFAULT_PROJECT } from './PromptQuery.js';
import { chTime, select } from './select.js';

/** Which scores a score read of one prompt and window may find (see {@link scorePresence}). */
export interface ScorePresence {
  /** A score of the project stored unresolved at or after the window's start: read with the late joins. */
  late: boolean;
  /** A resolved score of the prompt whose generation is in the window. */
  resolved: boolean;
}

/**
 * Whether a score read of `prompt` in `[from, to)` may find anything, in ONE query of two key-range
 * reads of the scores table (each stops at its first row): scores stored unresolved since `from`
 * (what the late joins would read: `project_id, prompt_name = '', prompt_version = 0`, the start of
 * the project's key range) and resolved scores of the prompt whose generation is in the window (the
 * prompt's key range, the window on `generation_time` as the score reads filter it). A few ms;
 * planning a score read costs several times that even when it finds nothing, so a read that would
 * find none is not run, and one without unresolved scores leaves out the late joins. The check
 * ignores the read's other filters (environment, label, versions): it may say "maybe" where the read
 * finds nothing, never "none" where it finds something. A score stored after this check is as if it
 * had arrived after the read.
 */
export async function scorePresence(
  client: ClickHouseClient,
  db: string,
  q: { project: string; prompt: string; from: Date; to: Date },
): Promise<ScorePresence> {
  const rows = await select<{ kind: string }>(
    client,
    `(SELECT 'late' AS kind FROM ${db}.promptline_scores
WHERE project_id = {project:String} AND prompt_name = '' AND prompt_version = 0
  AND timestamp >= {from:DateTime64(3, 'UTC')}
LIMIT 1)
UNION ALL
(SELECT 'resolved' AS kind FROM ${db}.promptline_scores
WHERE project_id = {project:String} AND prompt_name = {prompt:String} AND prompt_version > 0
  AND generation_time >= {from:DateTime64(3, 'UTC')} AND generation_time < {to:DateTime64(3, 'UTC')}
LIMIT 1)`,
    { project: q.project, prompt: q.prompt, from: chTime(q.from.getTime()), to: chTime(q.to.getTime()) },
  );
  return { late: rows.some((r) => r.kind === 'late'), resolved: rows.some((r) => r.kind === 'resolved') };
}

/** How a score read learns which scores it may find. */
export interface ScorePresenceOption {
  /**
   * What {@link scorePresence} answered for the read's project, prompt and window. Default: asked
   * (a caller reading scores several times asks once and passes the answer).
   */
  presence?: ScorePresence;
}

/** The presence the option carries, or asked for `q`'s project, prompt and window. */
export function presenceFor(
  client: ClickHouseClient,
  db: string,
  q: { projectId?: string | undefined; promptName: string; from: Date; to: Date },
  opts: ScorePresenceOption,
): Promise<ScorePresence> {
  return opts.presence !== undefined
    ? Promise.resolve(opts.presence)
    : scorePresence(client, db, {
        project: q.projectId ?? DEFAULT_PROJECT,
        prompt: q.promptName,
        from: q.from,
        to: q.to,
      });
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
