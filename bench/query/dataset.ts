/**
 * The bench:query data set, shared by bench:console: BENCH_ROWS (default 10,000,000) generation
 * spans with realistic attribute maps (20 prompts × 5 versions, each version on one model and label,
 * 2 environments, 30 days from {@link T0}, 3% errors, explicit costs, captured input/output text),
 * loaded into the embedded engine through the real materialized views (INSERT … SELECT FROM
 * numbers()). A data dir that already holds the same number of spans is used as it is.
 */
import type { ClickHouseClient } from '@clickhouse/client';
import { ERROR_TYPE, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';

export const DB = 'bench';
export const PROJECT = 'bench-project';
export const DAY = 86_400_000;
/** The data spans [T0, T0 + 30 days). */
export const T0 = Date.UTC(2026, 9, 1);
const CHUNK = 1_000_000;

const lit = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const mapOf = (pairs: Array<[string, string]>): string =>
  `map(${pairs.map(([k, v]) => `${lit(k)}, ${v}`).join(', ')})`;

// Per-row derived values (h* are independent hashes of the row number).
const derived = (ROWS: number): string => `
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

function loadSql(start: number, count: number, ROWS: number): string {
  return `INSERT INTO ${DB}.otel_traces
  (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName, SpanKind, ServiceName, ResourceAttributes,
   ScopeName, ScopeVersion, SpanAttributes, Duration, StatusCode, StatusMessage)
SELECT ts, concat(lower(hex(h1)), lower(hex(h2))), lower(hex(h3)), lower(hex(cityHash64(number, 4))), '',
  concat('chat ', model), 'Client', 'support-bot', ${resourceAttributes},
  '@promptline/sdk', '0.1.0', ${spanAttributes}, toUInt64(lat_ms * 1e6), if(is_err, 'Error', 'Unset'),
  if(is_err, 'rate limited', '')
FROM (SELECT number, ${derived(ROWS)} FROM numbers(${start}, ${count}))`;
}

/**
 * Loads `rows` spans into `client` (database {@link DB}) unless they are there, then waits (up to
 * 5 min) for the background merges the engine schedules after a bulk load. Returns the load time
 * in seconds (0 when the data was already there).
 */
export async function loadDataset(
  client: ClickHouseClient,
  ROWS: number,
  log: (msg: string) => void,
): Promise<number> {
  const have = await client.query({
    query: `SELECT count() AS n FROM ${DB}.otel_traces`,
    format: 'JSONEachRow',
  });
  const loaded = Number((await have.json<{ n: string }>())[0]?.n ?? 0);
  if (loaded !== 0 && loaded !== ROWS) throw new Error(`BENCH_DIR holds ${loaded} spans, not ${ROWS}`);
  const loadStart = performance.now();
  for (let start = 0; loaded === 0 && start < ROWS; start += CHUNK) {
    await client.command({ query: loadSql(start, Math.min(CHUNK, ROWS - start), ROWS) });
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
  return loaded === 0 ? loadS : 0;
}
