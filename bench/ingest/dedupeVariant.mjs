/**
 * The schema without the span dedupe (decision 0030), for before / after benchmarks of its cost:
 * the generations view without its identity lookup and within-block `LIMIT 1 BY`, and no
 * identity-writing view. Shared by bench:ingest (`BENCH_DEDUPE=0`, run in the collector's plain
 * Node process, hence JavaScript) and bench:ingest-views (`-nodedupe`, `-nojoin`).
 */
import { renderMigrations } from '@promptline/clickhouse';

/** The generations view's `CREATE` as the last migration up to `target` renders it. */
export function generationsView(target = Infinity, database = 'default') {
  const view = renderMigrations({ database })
    .filter((m) => m.version <= target)
    .flatMap((m) => m.statements)
    .filter((s) => /CREATE MATERIALIZED VIEW IF NOT EXISTS \S*promptline_generations_mv/.test(s))
    .at(-1);
  if (view === undefined) throw new Error(`no generations view up to migration ${target}`);
  return view;
}

/** The start of the generations view's looked-up path (migration 0020: beside the path of new spans). */
const LOOKUP_PATH =
  /\s*UNION ALL\s*(--[^\n]*\n\s*)*SELECT s\.SpanAttributes[\s\S]*?WHERE d\.seen = 0 OR \(d\.batch != 0 AND d\.batch = [^\n]*\n/;

/** A view of migration 0020 or later: the path of new spans alone, for every insert. */
function newSpansPathOnly(view) {
  const plain = view.replace(LOOKUP_PATH, '\n').replace(/\(getSetting\('log_comment'\) = '[^']*'\)/, '1');
  if (plain.includes('span_ids') || plain.includes('LIMIT 1 BY') || plain.includes('log_comment'))
    throw new Error('dedupe left in the generations view');
  return plain;
}

/** `view` without its identity lookup (the direct join against the identity set). */
export function withoutLookup(view) {
  if (view.includes('UNION ALL')) return newSpansPathOnly(view);
  const plain = view.replace(/LEFT ANY JOIN [^\n]*promptline_span_ids[\s\S]*$/, '');
  if (plain === view) throw new Error('no identity lookup in the generations view');
  return plain;
}

/** `view` without its identity lookup and its within-block `LIMIT 1 BY`. */
export function withoutDedupe(view) {
  if (view.includes('UNION ALL')) return newSpansPathOnly(view);
  const plain = withoutLookup(view).replace('LIMIT 1 BY span_hash', '');
  if (plain.includes('span_ids') || plain.includes('LIMIT 1 BY'))
    throw new Error('dedupe left in the generations view');
  return plain;
}

/** Drops the dedupe from a migrated database: the identity-writing view, and the view's lookup. */
export async function dropDedupe(client, target = Infinity, database = 'default') {
  const view = withoutDedupe(generationsView(target, database));
  await client.command({ query: `DROP VIEW IF EXISTS \`${database}\`.promptline_span_ids_mv SYNC` });
  await client.command({ query: `DROP VIEW IF EXISTS \`${database}\`.promptline_generations_mv SYNC` });
  await client.command({ query: view });
}
