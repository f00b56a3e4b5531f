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
import { hexWithRound } from './traceIds.js';

const [file, dir, secs, batchBytesText] = process.argv.slice(2);
const bodies = unpack(readFileSync(file!));
const batchBytes = Number(batchBytesText);
const client = openClickHouse({ url: '', path: dir! });
await migrate(client, { attributeIndexes: process.env.BENCH_ATTRIBUTE_INDEXES !== '0' });
// Decoded once: batches of about `batchBytes` encoded, one Native block per request as in the WAL.
const requests = bodies.map((b) => decodeTracesProto(b).rows);
const batches: Array<typeof requests> = [];
let parts: typeof requests = [];
let size = 0;
for (const rows of requests) {
  parts.push(rows);
  size += encodeTraceBlock(rows).length;
  if (size >= batchBytes) {
    batches.push(parts);
    parts = [];
    size = 0;
  }
}
if (parts.length > 0) batches.push(parts);
/** Batch `n` encoded, its trace ids fresh for each round over the batches (as the load process does). */
const encode = (n: number): { body: Buffer; rows: number } => {
  const round = Math.floor(n / batches.length);
  const batch = batches[n % batches.length]!;
  const blocks = batch.map((rows) =>
    encodeTraceBlock(rows.map((r) => ({ ...r, TraceId: hexWithRound(r.TraceId, round) }))),
  );
  return { body: Buffer.concat(blocks), rows: batch.reduce((a, rows) => a + rows.length, 0) };
};
// Only the inserts are timed: encoding the next batch happens outside the clock.
let written = 0;
let n = 0;
let elapsedMs = 0;
let next = encode(0);
while (elapsedMs < Number(secs) * 1000) {
  const t0 = performance.now();
  await insertNative(client, 'otel_traces', next.body, { dedupToken: `ceiling-${n}` });
  elapsedMs += performance.now() - t0;
  written += next.rows;
  n++;
  next = encode(n);
}
const elapsed = elapsedMs / 1000;
await client.close();
process.send?.({
  written,
  elapsed,
  inserts: n,
  batchRows: batches[0]?.reduce((a, r) => a + r.length, 0) ?? 0,
});
