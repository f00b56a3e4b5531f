/**
 * bench:ingest-lookup — what the span identity lookup costs in each form the engine offers, in CPU
 * milliseconds per block of generation spans, measured as `INSERT … SELECT` into a Null table.
 *
 * One embedded engine with every migration; BENCH_PREFILL (default 8) inserts of BENCH_SPANS (default
 * 16384) generation spans fill the identity set the usual way (through the views); the next block of
 * spans (fresh ids, none of them in the set) goes into a plain copy of otel_traces, `src`, that no view
 * reads. Each form then reads `src` and keeps the spans not in the set, BENCH_REPS (default 15) times,
 * forms alternated; per form the median and minimum CPU time of the process (engine threads included).
 *
 *   hash      the identity of every span (the expression the views use), nothing else
 *   limitby   + `LIMIT 1 BY` the identity (one copy per insert)
 *   join      + `LEFT ANY JOIN` the set, join_algorithm 'direct' (what migration 0015 does)
 *   in        + `NOT IN (SELECT … FROM set WHERE key IN (identities of the block))` (a key read)
 *   read      only the key read of `in`: the set's rows whose key is in the block
 *   dict      + dictGetOrDefault on a COMPLEX_KEY_DIRECT dictionary over the set
 *   view18    the whole generations view's SELECT as migration 0015 creates it (main before 0019),
 *             into a Null copy of promptline_generations
 *   view19    the same as migration 0019 creates it (attributes read from one filtered map)
 *   attrs     `hash` + 40 span attribute lookups (`SpanAttributes['…']`, keys the spans do not
 *             carry): what one attribute lookup costs per span, for scale (the generations view
 *             reads ~60 attribute keys)
 *
 *   pnpm bench:ingest-lookup
 *
 * Last stdout line: {"bench":"ingest-lookup","<form>_cpu_ms":…,"<form>_cpu_ms_min":…,…}
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeTraceBlock,
  insertNative,
  migrate,
  openClickHouse,
  renderMigrations,
} from '@promptline/clickhouse';
import { decodeTracesProto } from '@promptline/collector';
import { spanIdentitySql } from '../../packages/clickhouse/src/schema/spanIdentity.js';
import { median, reportResult } from '../support/report.js';
import { pack, unpack } from './batchFile.js';
import { captureBatches } from './spans.js';
import { freshRows } from './traceIds.js';

const prefill = Number(process.env.BENCH_PREFILL ?? 8);
const spans = Number(process.env.BENCH_SPANS ?? 16384);
const reps = Number(process.env.BENCH_REPS ?? 15);
const tmp = mkdtempSync(join(tmpdir(), 'promptline-bench-lookup-'));
writeFileSync(join(tmp, 'batches.bin'), pack(await captureBatches(64, 512)));
const rows = unpack(readFileSync(join(tmp, 'batches.bin'))).flatMap((b) => decodeTracesProto(b).rows);
const block = (n: number): Buffer => encodeTraceBlock(freshRows(rows, n, spans));

const client = openClickHouse({ url: '', path: join(tmp, 'engine') });
const run = (query: string): Promise<unknown> => client.command({ query });
const figures: Record<string, number> = { prefill, spans, reps };
try {
  await migrate(client, {});
  for (let i = 0; i < prefill; i++)
    await insertNative(client, 'otel_traces', block(i), { dedupToken: `prefill-${i}` });
  await run('CREATE TABLE src AS otel_traces');
  await insertNative(client, 'otel_traces', block(prefill), { table: 'src' });
  await run('CREATE TABLE ids_null (span_hash FixedString(16)) ENGINE = Null');
  await run(`CREATE DICTIONARY span_ids_dict (span_hash String, batch UInt64, seen UInt8)
    PRIMARY KEY span_hash SOURCE(CLICKHOUSE(DB 'default' TABLE 'promptline_span_ids'))
    LAYOUT(COMPLEX_KEY_DIRECT())`);
  await run('CREATE TABLE generations_null AS promptline_generations ENGINE = Null');
  /** The SELECT of the generations view as migration `version` creates it, reading `src`. */
  const viewOf = (version: number): string => {
    const sql = renderMigrations({})
      .find((m) => m.version === version)!
      .statements.find((s) => /MATERIALIZED VIEW IF NOT EXISTS \S*promptline_generations_mv/.test(s))!;
    return sql.slice(sql.indexOf(' AS\n') + 4).replaceAll('`default`.`otel_traces`', '`default`.`src`');
  };
  const id = spanIdentitySql('Timestamp', "ResourceAttributes['promptline.project.id']", 'TraceId', 'SpanId');
  const unique = `SELECT ${id} AS span_hash FROM src LIMIT 1 BY span_hash`;
  // The retry-token rule of 0015 is kept in every form (batch 0: an insert without a token).
  const forms: Record<string, string> = {
    hash: `SELECT ${id} AS span_hash FROM src`,
    limitby: unique,
    join: `SELECT g.span_hash FROM (${unique}) AS g
      LEFT ANY JOIN promptline_span_ids AS d ON d.span_hash = g.span_hash
      WHERE d.seen = 0 OR (d.batch != 0 AND d.batch = 0) SETTINGS join_algorithm = 'direct'`,
    in: `SELECT span_hash FROM (${unique}) WHERE span_hash NOT IN (
      SELECT span_hash FROM promptline_span_ids WHERE span_hash IN (SELECT ${id} FROM src)
        AND NOT (batch != 0 AND batch = 0))`,
    read: `SELECT span_hash FROM promptline_span_ids WHERE span_hash IN (SELECT ${id} FROM src)`,
    view18: `INSERT INTO generations_null ${viewOf(15)}`,
    view19: `INSERT INTO generations_null ${viewOf(19)}`,
    attrs: `SELECT ${id} AS span_hash FROM src
      WHERE NOT ignore(${Array.from({ length: 40 }, (_, i) => `SpanAttributes['bench.absent.${i}']`).join(', ')})`,
    dict: `SELECT span_hash FROM (${unique})
      WHERE dictGetOrDefault('span_ids_dict', 'seen', tuple(toString(span_hash)), toUInt8(0)) = 0`,
  };
  const names = Object.keys(forms);
  const cpu = new Map(names.map((n) => [n, [] as number[]]));
  for (let r = 0; r <= reps; r++) {
    for (const n of r % 2 === 0 ? names : [...names].reverse()) {
      const c0 = process.cpuUsage();
      const sql = forms[n]!;
      await run(sql.startsWith('INSERT') ? sql : `INSERT INTO ids_null ${sql}`);
      const c = process.cpuUsage(c0);
      if (r > 0) cpu.get(n)!.push((c.user + c.system) / 1000);
    }
  }
  for (const n of names) {
    const xs = cpu.get(n)!;
    figures[`${n}_cpu_ms`] = Number(median(xs).toFixed(1));
    figures[`${n}_cpu_ms_min`] = Number(Math.min(...xs).toFixed(1));
    process.stdout.write(
      `${n.padEnd(8)} cpu ms per ${spans} spans: median ${median(xs).toFixed(1)}, min ${Math.min(...xs).toFixed(1)}\n`,
    );
  }
} finally {
  await client.close();
  rmSync(tmp, { recursive: true, force: true });
}
reportResult('ingest-lookup', figures);
