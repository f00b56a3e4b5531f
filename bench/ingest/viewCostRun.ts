/**
 * One run of bench:ingest-views (forked by viewCost.ts): a fresh embedded engine with the schema of
 * one variant, then the same pre-encoded blocks of generation spans (fresh trace ids each block)
 * inserted through the collector's `insertNative`; the process's CPU time (the engine's threads
 * included) and wall time of each insert are sent back. Merges are stopped so that background work
 * of earlier inserts does not land in a later insert's figure; RocksDB's own threads still count.
 *
 * Variants: `t14` / `t15` / `t16` / `t17` … (migrations up to that version) or `all` (every
 * migration), followed by any of these changes, each after a `-`: `nodedupe` (0015's identity
 * lookup, within-block `LIMIT 1 BY` and identity-writing view removed), `nojoin` (lookup removed),
 * `noidsview` (identity-writing view removed), `norespidx` (response-id index view removed),
 * `nounlinked` (unlinked counts view removed), `constver` (the version expression replaced by a
 * constant: its cost only, the rows are wrong), `bulk0` (span index and score ids written through
 * RocksDB's memtable), `newspans` (every insert vouches its spans are new: migration 0020's path
 * without the lookup). Example: `all-nodedupe`, `t18-bulk0`.
 */
import { readFileSync } from 'node:fs';
import { encodeTraceBlock, insertNative, migrate, openClickHouse } from '@promptline/clickhouse';
import { decodeTracesProto } from '@promptline/collector';
import { unpack } from './batchFile.js';
import { dropDedupe, generationsView as viewOf, withoutLookup } from './dedupeVariant.mjs';
import { freshRows } from './traceIds.js';

const [file, dir, variant, spansText, insertsText] = process.argv.slice(2) as [
  string,
  string,
  string,
  string,
  string,
];
const spansPerInsert = Number(spansText);
const inserts = Number(insertsText);
const client = openClickHouse({ url: '', path: dir });
const [base, ...tweaks] = variant.split('-') as [string, ...string[]];
await migrate(client, { target: base === 'all' ? undefined : Number(base.slice(1)) });

const target = base === 'all' ? Infinity : Number(base.slice(1));
// The generations view as the variant's last migration creates it (0015, or a later one).
const generationsView = viewOf(target);
async function replaceGenerationsView(sql: string): Promise<void> {
  await client.command({ query: 'DROP VIEW IF EXISTS promptline_generations_mv SYNC' });
  await client.command({ query: sql });
}
let newSpans = false;
for (const tweak of tweaks) {
  switch (tweak) {
    case 'nodedupe':
      await dropDedupe(client, target);
      break;
    case 'nojoin':
      await replaceGenerationsView(withoutLookup(generationsView));
      break;
    case 'noidsview':
      await client.command({ query: 'DROP VIEW IF EXISTS promptline_span_ids_mv SYNC' });
      break;
    case 'norespidx':
      await client.command({ query: 'DROP VIEW IF EXISTS promptline_response_index_mv SYNC' });
      break;
    case 'nounlinked':
      await client.command({ query: 'DROP VIEW IF EXISTS promptline_unlinked_stats_mv SYNC' });
      break;
    case 'constver': {
      const from = generationsView.indexOf('arrayMap((t, hash');
      const to = generationsView.indexOf('AS version,', from);
      await replaceGenerationsView(
        `${generationsView.slice(0, from)}(toUInt32(1), '1', '') ${generationsView.slice(to)}`,
      );
      break;
    }
    case 'newspans':
      newSpans = true;
      break;
    case 'bulk0':
      for (const t of ['promptline_span_index', 'promptline_score_ids'])
        await client.command({ query: `ALTER TABLE ${t} MODIFY SETTING optimize_for_bulk_insert = 0` });
      break;
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

const rows = bodies(file).flatMap((b) => decodeTracesProto(b).rows);
function bodies(path: string): Buffer[] {
  return unpack(readFileSync(path));
}
/** Insert `n`: the next `spansPerInsert` rows, trace ids fresh for every round over the rows. */
const encode = (n: number): Buffer => encodeTraceBlock(freshRows(rows, n, spansPerInsert));
const blocks = Array.from({ length: inserts + 2 }, (_, i) => encode(i));
await client.command({ query: 'SYSTEM STOP MERGES' });
// Two warm-up inserts, then the measured ones.
for (let i = 0; i < 2; i++)
  await insertNative(client, 'otel_traces', blocks[i]!, { dedupToken: `warm-${i}`, newSpans });
const cpu: number[] = [];
const wall: number[] = [];
for (let i = 2; i < blocks.length; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await insertNative(client, 'otel_traces', blocks[i]!, { dedupToken: `run-${i}`, newSpans });
  wall.push((performance.now() - t0) / 1000);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1e6);
}
const [stored] = await (
  await client.query({ query: 'SELECT count() AS n FROM promptline_generations', format: 'JSONEachRow' })
).json<{ n: string }>();
await client.close();
process.send?.({
  variant,
  cpu,
  wall,
  generations: Number(stored?.n),
  expected: blocks.length * spansPerInsert,
});
