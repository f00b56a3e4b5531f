/**
 * bench:ingest ceiling process (forked by run.ts): the engine's own insert rate for the same rows,
 * pre-encoded. The captured exporter requests are decoded and encoded once, up front, with the
 * collector's own decoder and the schema's `Native` block encoder; then only the inserts are timed,
 * through the same `insertNative` the collector uses (deduplication token, materialized views on),
 * same batch size.
 */
import { readFileSync } from 'node:fs';
import { encodeTraceBlock, insertNative, migrate, openClickHouse } from '@promptline/clickhouse';
import { decodeTracesProto } from '@promptline/collector';
import { unpack } from './batchFile.js';

const [file, dir, secs, batchBytesText] = process.argv.slice(2);
const bodies = unpack(readFileSync(file!));
const batchBytes = Number(batchBytesText);
const client = openClickHouse({ url: '', path: dir! });
await migrate(client, { attributeIndexes: process.env.BENCH_ATTRIBUTE_INDEXES !== '0' });
// Pre-encode: bodies of about `batchBytes` each, one Native block per request as in the WAL.
const batches: Array<{ body: Buffer; rows: number }> = [];
let parts: Buffer[] = [];
let size = 0;
let rows = 0;
for (const b of bodies) {
  const decoded = decodeTracesProto(b);
  const block = encodeTraceBlock(decoded.rows);
  parts.push(block);
  size += block.length;
  rows += decoded.rows.length;
  if (size >= batchBytes) {
    batches.push({ body: Buffer.concat(parts), rows });
    parts = [];
    size = 0;
    rows = 0;
  }
}
if (rows > 0) batches.push({ body: Buffer.concat(parts), rows });
let written = 0;
let n = 0;
const started = performance.now();
const deadline = started + Number(secs) * 1000;
while (performance.now() < deadline) {
  const batch = batches[n % batches.length]!;
  await insertNative(client, 'otel_traces', batch.body, { dedupToken: `ceiling-${n}` });
  written += batch.rows;
  n++;
}
const elapsed = (performance.now() - started) / 1000;
await client.close();
process.send?.({ written, elapsed, inserts: n, batchRows: batches[0]?.rows ?? 0 });
