/**
 * bench:query — per-version metrics from the aggregates vs the same figures from raw otel_traces.
 *
 * Loads BENCH_ROWS (default 10,000,000) generation spans with realistic attribute maps (20 prompts ×
 * 5 versions, each version on one model and label, 2 environments, 30 days, 3% errors, explicit
 * costs, captured input/output text) into the embedded engine through
 * the real materialized views (INSERT … SELECT FROM numbers()), then times "metrics by version for
 * one prompt over 7 days": `metricsByVersion` (aggregates) vs one GROUP BY over otel_traces, once
 * the background merges the engine schedules after the bulk load have finished (up to 5 min).
 * Reports bytes on disk per span (otel_traces) and per row (promptline_generations).
 *
 *   pnpm bench:query                 # full size
 *   BENCH_ROWS=200000 pnpm bench:query
 *
 * Last stdout line: {"bench":"query","rows":…,"agg_ms":…,"raw_ms":…,"speedup":…,"bytes_per_span":…,"bytes_per_generation":…}
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Run against the workspace sources (no build needed): re-exec once with the source condition.
if (!process.execArgv.some((a) => a.includes('@promptline/source'))) {
  const child = spawnSync(
    process.execPath,
    ['--conditions=@promptline/source', '--import', 'tsx', fileURLToPath(import.meta.url)],
    { stdio: 'inherit', env: process.env },
  );
  process.exit(child.status ?? 1);
}

const { metricsByVersion, migrate, openClickHouse } = await import('@promptline/clickhouse');
const { GEN_AI, PROMPTLINE, RESOURCE } = await import('@promptline/semconv');
const { DAY, DB, PROJECT, T0, loadDataset } = await import('./dataset.js');
const { median, reportResult } = await import('../support/report.js');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error('BENCH_ROWS must be an integer ≥ 1000');
const log = (msg: string): void => void process.stderr.write(`[bench:query] ${msg}\n`);

// BENCH_DIR keeps a loaded data dir between runs (for profiling); by default a temp dir is removed.
const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'promptline-bench-query-'));
const client = openClickHouse({ path: dir });
try {
  await migrate(client, { database: DB });
  await loadDataset(client, ROWS, log);

  const promptName = 'prompt-07';
  const to = new Date(T0 + 30 * DAY - 17 * 60_000);
  const from = new Date(to.getTime() - 7 * DAY);
  const rawSql = `SELECT toUInt32OrZero(SpanAttributes[{kv:String}]) AS version, count() AS requests,
  countIf(StatusCode = 'Error') AS errors,
  quantiles(0.5, 0.9, 0.95, 0.99)(Duration / 1e6) AS latency_ms,
  quantilesIf(0.5, 0.9, 0.95, 0.99)(toFloat64OrZero(SpanAttributes[{kttft:String}]) * 1000, SpanAttributes[{kttft:String}] != '') AS ttft_ms,
  quantilesIf(0.5, 0.9, 0.95, 0.99)(toFloat64(toUInt64OrZero(SpanAttributes[{kin:String}]) + toUInt64OrZero(SpanAttributes[{kout:String}])), StatusCode != 'Error') AS tokens,
  quantilesIf(0.5, 0.9, 0.95, 0.99)(toFloat64OrZero(SpanAttributes[{kcost:String}]), StatusCode != 'Error') AS cost_q,
  sum(toUInt64OrZero(SpanAttributes[{kin:String}])) AS input_tokens, sum(toUInt64OrZero(SpanAttributes[{kout:String}])) AS output_tokens,
  sum(toFloat64OrZero(SpanAttributes[{kcost:String}])) AS cost, min(Timestamp) AS first_seen, max(Timestamp) AS last_seen
FROM ${DB}.otel_traces
WHERE ResourceAttributes[{kproj:String}] = {project:String} AND SpanAttributes[{kname:String}] = {prompt:String}
  AND Timestamp >= {from:DateTime64(3, 'UTC')} AND Timestamp < {to:DateTime64(3, 'UTC')}
GROUP BY version ORDER BY version DESC`;
  const chTime = (d: Date): string => d.toISOString().replace('T', ' ').replace('Z', '');
  const rawParams = {
    kv: PROMPTLINE.PROMPT_VERSION,
    kttft: GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK,
    kin: GEN_AI.USAGE_INPUT_TOKENS,
    kout: GEN_AI.USAGE_OUTPUT_TOKENS,
    kcost: PROMPTLINE.COST_USD,
    kproj: RESOURCE.PROJECT_ID,
    kname: GEN_AI.PROMPT_NAME,
    project: PROJECT,
    prompt: promptName,
    from: chTime(from),
    to: chTime(to),
  };
  const runRaw = async (): Promise<Array<{ version: number; requests: string }>> => {
    const rs = await client.query({ query: rawSql, format: 'JSONEachRow', query_params: rawParams });
    return rs.json();
  };
  const runAgg = () =>
    metricsByVersion(client, {
      database: DB,
      projectId: PROJECT,
      promptName,
      from,
      to,
      includeScores: false,
    });

  const time = async (fn: () => Promise<unknown>, n: number): Promise<number[]> => {
    await fn(); // warm-up
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      out.push(performance.now() - t);
    }
    return out;
  };
  const agg = await runAgg();
  const raw = await runRaw();
  const aggCounts = agg.map((r) => `${r.version}:${r.requests}`).join(',');
  const rawCounts = raw.map((r) => `${r.version}:${Number(r.requests)}`).join(',');
  log(
    `requests by version — aggregates ${aggCounts} | raw ${rawCounts}${aggCounts === rawCounts ? '' : ' MISMATCH'}`,
  );
  if (aggCounts !== rawCounts) throw new Error('aggregate and raw counts differ');
  const aggTimes = await time(runAgg, 21);
  const rawTimes = await time(runRaw, 5);
  const aggMs = median(aggTimes);
  const rawMs = median(rawTimes);

  const sizes = await client.query({
    query: `SELECT table, sum(bytes_on_disk) AS bytes, sum(rows) AS rows FROM system.parts
WHERE database = {db:String} AND active GROUP BY table ORDER BY table`,
    format: 'JSONEachRow',
    query_params: { db: DB },
  });
  const size = new Map(
    (await sizes.json<{ table: string; bytes: string; rows: string }>()).map((r) => [r.table, r]),
  );
  const per = (t: string): number => {
    const r = size.get(t);
    return r ? Math.round((Number(r.bytes) / Number(r.rows)) * 10) / 10 : 0;
  };
  for (const r of size.values()) log(`table ${r.table}: ${r.rows} rows, ${r.bytes} bytes on disk`);
  log(`agg runs ms: ${aggTimes.map((x) => x.toFixed(1)).join(' ')}`);
  log(`raw runs ms: ${rawTimes.map((x) => x.toFixed(0)).join(' ')}`);
  reportResult('query', {
    rows: ROWS,
    agg_ms: Math.round(aggMs * 10) / 10,
    raw_ms: Math.round(rawMs * 10) / 10,
    speedup: Math.round((rawMs / aggMs) * 10) / 10,
    bytes_per_span: per('otel_traces'),
    bytes_per_generation: per('promptline_generations'),
  });
} finally {
  await client.close();
  if (keep === undefined) rmSync(dir, { recursive: true, force: true });
}
