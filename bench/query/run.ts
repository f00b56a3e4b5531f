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
const { ERROR_TYPE, GEN_AI, PROMPTLINE, RESOURCE } = await import('@promptline/semconv');
const { median, reportResult } = await import('../support/report.js');

const ROWS = Number(process.env.BENCH_ROWS ?? 10_000_000);
if (!Number.isInteger(ROWS) || ROWS < 1000) throw new Error('BENCH_ROWS must be an integer ≥ 1000');
const CHUNK = 1_000_000;
const DB = 'bench';
const PROJECT = 'bench-project';
const DAY = 86_400_000;
const T0 = Date.UTC(2026, 9, 1); // data spans [T0, T0 + 30 days)
const log = (msg: string): void => void process.stderr.write(`[bench:query] ${msg}\n`);

const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const mapOf = (pairs: Array<[string, string]>): string =>
  `map(${pairs.map(([k, v]) => `${lit(k)}, ${v}`).join(', ')})`;

// Per-row derived values (h* are independent hashes of the row number).
const derived = `
  cityHash64(number, 1) AS h1, cityHash64(number, 2) AS h2, cityHash64(number, 3) AS h3,
  h1 % 20 AS p, 1 + intDiv(h1, 20) % 5 AS v,
  concat('prompt-', leftPad(toString(p), 2, '0')) AS prompt,
  arrayElement(['gpt-4o-mini', 'gpt-4o', 'claude-sonnet-4-20250514'], 1 + ((p + v) % 3)) AS model,
  arrayElement(['archived', 'archived', 'staging', 'production', 'canary'], v) AS label,
  arrayElement(['prod', 'prod', 'staging'], 1 + intDiv(h2, 12) % 3) AS env,
  (h3 % 100) < 3 AS is_err,
  if(is_err, 0, 200 + (h3 % 3000)) AS in_tok,
  if(is_err, 0, 20 + intDiv(h3, 100) % 800) AS out_tok,
  randLogNormal(6.0, 0.7) AS lat_ms,
  (intDiv(h3, 7) % 2) = 0 AS streamed,
  round((in_tok * 0.15 + out_tok * 0.6) / 1e6, 9) AS cost,
  fromUnixTimestamp64Milli(toInt64(${T0} + intDiv(number * ${30 * DAY}, ${ROWS}) + (h2 % 60000)), 'UTC') AS ts`;

const spanAttributes = `mapFilter((k, x) -> x != '', ${mapOf([
  [GEN_AI.OPERATION_NAME, `'chat'`],
  [GEN_AI.PROVIDER_NAME, `if(startsWith(model, 'gpt'), 'openai', 'anthropic')`],
  [GEN_AI.REQUEST_MODEL, 'model'],
  [GEN_AI.RESPONSE_MODEL, 'model'],
  [GEN_AI.REQUEST_TEMPERATURE, `'0.7'`],
  [GEN_AI.REQUEST_MAX_TOKENS, `'1024'`],
  [GEN_AI.RESPONSE_ID, `concat('chatcmpl-', lower(hex(h3)))`],
  [GEN_AI.RESPONSE_FINISH_REASONS, `if(is_err, '', '["stop"]')`],
  [GEN_AI.USAGE_INPUT_TOKENS, `if(is_err, '', toString(in_tok))`],
  [GEN_AI.USAGE_OUTPUT_TOKENS, `if(is_err, '', toString(out_tok))`],
  [
    GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK,
    `if(streamed AND NOT is_err, toString(round(lat_ms * 0.2 / 1000, 6)), '')`,
  ],
  [GEN_AI.PROMPT_NAME, 'prompt'],
  [GEN_AI.CONVERSATION_ID, `concat('conv-', toString(h1 % 100000))`],
  [PROMPTLINE.PROMPT_VERSION, 'toString(v)'],
  [PROMPTLINE.PROMPT_LABEL, 'label'],
  [PROMPTLINE.PROMPT_HASH, `lower(hex(cityHash64(prompt, v)))`],
  [PROMPTLINE.OBSERVATION_TYPE, `'generation'`],
  [PROMPTLINE.COST_USD, `if(is_err, '', toString(cost))`],
  [
    PROMPTLINE.INPUT,
    `concat('Customer ', toString(h1 % 50000), ' asks about order #', toString(h2 % 1000000), ': where is my parcel? It was due on day ', toString(h3 % 28), '.')`,
  ],
  [
    PROMPTLINE.OUTPUT,
    `if(is_err, '', concat('Hello! Your order #', toString(h2 % 1000000), ' is in transit and should arrive within ', toString(1 + h3 % 5), ' days. Sorry for the wait.'))`,
  ],
  [ERROR_TYPE, `if(is_err, 'RateLimitError', '')`],
])})`;

const resourceAttributes = mapOf([
  [RESOURCE.SERVICE_NAME, `'support-bot'`],
  [RESOURCE.DEPLOYMENT_ENVIRONMENT, 'env'],
  [RESOURCE.PROJECT_ID, lit(PROJECT)],
]);

function loadSql(start: number, count: number): string {
  return `INSERT INTO ${DB}.otel_traces
  (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes,
   ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT ts, concat(lower(hex(h1)), lower(hex(h2))), lower(hex(h3)), lower(hex(cityHash64(number, 4))), '',
  concat('chat ', model), 'Client', 'support-bot', ${resourceAttributes},
  '@promptline/sdk', '0.1.0', ${spanAttributes}, toUInt64(lat_ms * 1e6), if(is_err, 'Error', 'Unset'),
  if(is_err, 'rate limited', '')
FROM (SELECT number, ${derived} FROM numbers(${start}, ${count}))`;
}

// BENCH_DIR keeps a loaded data dir between runs (for profiling); by default a temp dir is removed.
const keep = process.env.BENCH_DIR;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'promptline-bench-query-'));
const client = openClickHouse({ path: dir });
try {
  await migrate(client, { database: DB });
  const have = await client.query({
    query: `SELECT count() AS n FROM ${DB}.otel_traces`,
    format: 'JSONEachRow',
  });
  const loaded = Number((await have.json<{ n: string }>())[0]?.n ?? 0);
  if (loaded !== 0 && loaded !== ROWS) throw new Error(`BENCH_DIR holds ${loaded} spans, not ${ROWS}`);
  const loadStart = performance.now();
  for (let start = 0; loaded === 0 && start < ROWS; start += CHUNK) {
    await client.command({ query: loadSql(start, Math.min(CHUNK, ROWS - start)) });
    log(`loaded ${Math.min(start + CHUNK, ROWS)} / ${ROWS} spans`);
  }
  const loadS = (performance.now() - loadStart) / 1000;
  log(`load took ${loadS.toFixed(1)} s (${Math.round(ROWS / loadS)} spans/s incl. materialized views)`);
  // Time a settled table, as in steady operation: wait (up to 5 min) for the background merges the
  // engine itself schedules after the bulk load. Nothing is forced (no OPTIMIZE).
  const settleStart = performance.now();
  for (;;) {
    const rs = await client.query({ query: 'SELECT count() AS n FROM system.merges', format: 'JSONEachRow' });
    const running = Number((await rs.json<{ n: string }>())[0]?.n ?? 0);
    if (running === 0 || performance.now() - settleStart > 300_000) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  log(`background merges settled after ${((performance.now() - settleStart) / 1000).toFixed(1)} s`);

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
