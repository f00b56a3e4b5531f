import type { ClickHouseClient } from '@clickhouse/client';
import { planSegments } from './planSegments.js';
import { DEFAULT_PROJECT, queryDatabase } from './PromptQuery.js';
import { checkQueryWindow } from './queryWindow.js';
import { chTime, isoTime, n, select } from './select.js';

/**
 * Why a generation is not linked to a prompt version (`unlinked_reason`, migration 0015):
 * - `fallback`: the caller's fallback prompt (`promptline.prompt.fallback`), never linked;
 * - `no_prompt_name`: no prompt name in any convention Promptline reads;
 * - `no_version`: a prompt name but no version, and no content hash or template for an implicit one;
 * - `unparsable_version`: a version that is not one (`0`, longer than 128 characters, control characters).
 */
export const UNLINKED_REASONS = ['fallback', 'no_prompt_name', 'no_version', 'unparsable_version'] as const;
/** One of {@link UNLINKED_REASONS}. */
export type UnlinkedReason = (typeof UNLINKED_REASONS)[number];

/** Options of {@link unlinkedGenerations}. */
export interface UnlinkedQuery {
  /** Window `[from, to)`. */
  from: Date;
  to: Date;
  /** Project id. Default `default`, the collector's anonymous project. */
  projectId?: string;
  /** Only generations that name this prompt. Default: all. */
  promptName?: string;
  /** Only this environment. Default: all. */
  environment?: string;
  /** Database. Default `default`. */
  database?: string;
}

/** Generations of one prompt name not linked to a version, for one reason, in the window. */
export interface UnlinkedCount {
  reason: UnlinkedReason;
  /** The prompt name the generations carried (`''` for `no_prompt_name` and most fallbacks). */
  promptName: string;
  generations: number;
  /** ISO-8601 UTC of the first / last such generation in the window. */
  firstSeen: string;
  lastSeen: string;
}

/**
 * Generations in a window that count towards no version, per reason and prompt name, most first:
 * whole hours from `promptline_unlinked_stats`, the sub-hour edges from `promptline_generations`.
 *
 * @example
 * const rows = await unlinkedGenerations(client, { from: new Date(Date.now() - 86_400_000), to: new Date() });
 * // [{ reason: 'unparsable_version', promptName: 'support-reply', generations: 12, … }]
 */
export async function unlinkedGenerations(
  client: ClickHouseClient,
  q: UnlinkedQuery,
): Promise<UnlinkedCount[]> {
  checkQueryWindow('unlinked', q.from, q.to);
  const db = queryDatabase(q);
  const params: Record<string, unknown> = { project: q.projectId ?? DEFAULT_PROJECT };
  let filter = 'project_id = {project:String}';
  if (q.promptName !== undefined) {
    params.prompt = q.promptName;
    filter += ' AND prompt_name = {prompt:String}';
  }
  if (q.environment !== undefined) {
    params.environment = q.environment;
    filter += ' AND environment = {environment:String}';
  }
  const parts = planSegments(q.from.getTime(), q.to.getTime()).map((s, i) => {
    params[`f${i}`] = chTime(s.from);
    params[`t${i}`] = chTime(s.to);
    const from = `{f${i}:DateTime64(3, 'UTC')}`;
    const to = `{t${i}:DateTime64(3, 'UTC')}`;
    if (s.source === 'raw') {
      return `SELECT toString(unlinked_reason) AS reason, toString(prompt_name) AS prompt, count() AS n,
  min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM ${db}.promptline_generations
WHERE ${filter} AND prompt_version = 0 AND timestamp >= ${from} AND timestamp < ${to}
GROUP BY reason, prompt`;
    }
    return `SELECT toString(unlinked_reason) AS reason, toString(prompt_name) AS prompt, sum(generations) AS n,
  min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM ${db}.promptline_unlinked_stats
WHERE ${filter} AND bucket >= toDateTime(${from}) AND bucket < toDateTime(${to})
GROUP BY reason, prompt`;
  });
  if (parts.length === 0) return [];
  const rows = await select<{
    reason: UnlinkedReason;
    prompt: string;
    n: string | number;
    first_seen: string;
    last_seen: string;
  }>(
    client,
    `SELECT reason, prompt, sum(n) AS n, min(first_seen) AS first_seen, max(last_seen) AS last_seen
FROM (${parts.map((p) => `(${p})`).join('\nUNION ALL\n')})
GROUP BY reason, prompt
ORDER BY n DESC, reason, prompt`,
    params,
  );
  return rows.map((r) => ({
    reason: r.reason,
    promptName: r.prompt,
    generations: n(r.n),
    firstSeen: isoTime(r.first_seen),
    lastSeen: isoTime(r.last_seen),
  }));
}

/**
 * Unlinked generations of every project per reason, in the hours from the one holding `since` on
 * (whole hours of `promptline_unlinked_stats`, by span time): the collector's `/metrics` gauge.
 */
export async function unlinkedTotalsSince(
  client: ClickHouseClient,
  since: Date,
  opts: { database?: string } = {},
): Promise<Map<UnlinkedReason, number>> {
  checkQueryWindow('unlinked', since, new Date(Math.max(since.getTime() + 1, Date.now())));
  const db = queryDatabase(opts);
  const rows = await select<{ reason: UnlinkedReason; n: string | number }>(
    client,
    `SELECT toString(unlinked_reason) AS reason, sum(generations) AS n
FROM ${db}.promptline_unlinked_stats
WHERE bucket >= toStartOfHour(toDateTime({since:DateTime64(3, 'UTC')}))
GROUP BY reason`,
    { since: chTime(since.getTime()) },
  );
  return new Map(rows.map((r) => [r.reason, n(r.n)]));
}
