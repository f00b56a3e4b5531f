import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { insertTraces, metricsByVersion, migrate, renderMigrations } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { traceRow } from '../../../test/kit/rows.js';

// Migration 0009 rewrites 0007's two aggregate tables into the packed promptline_version_stats and
// leaves views of the old names: an existing database keeps its figures, SQL written for the old
// columns reads the same, and a re-run (an interrupted migration) adds nothing.

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

const DB = 'up';
const T0 = Date.UTC(2026, 10, 18, 22, 0, 0);

let n = 0;
function generation(ms: number, version: number, latencyMs: number, extra: Record<string, string> = {}) {
  n++;
  return traceRow({
    Timestamp: new Date(ms).toISOString(),
    Duration: Math.round(latencyMs * 1e6),
    StatusCode: n % 7 === 0 ? 'Error' : 'Unset',
    ResourceAttributes: { [RESOURCE.SERVICE_NAME]: 'svc', [RESOURCE.PROJECT_ID]: 'p1' },
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
      [GEN_AI.PROMPT_NAME]: 'support',
      [PROMPTLINE.PROMPT_VERSION]: String(version),
      [PROMPTLINE.PROMPT_LABEL]: version === 1 ? 'production' : 'latest',
      [GEN_AI.USAGE_INPUT_TOKENS]: String(100 + (n % 13)),
      [GEN_AI.USAGE_OUTPUT_TOKENS]: String(20 + (n % 5)),
      ...(n % 3 === 0
        ? { [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: String((latencyMs / 4000).toFixed(4)) }
        : {}),
      ...(n % 4 === 0 ? { [PROMPTLINE.VALIDATION_PASSED]: String(n % 8 === 0) } : {}),
      ...extra,
    },
  });
}

/** Spans over 30 hours (two days), two versions, heavy-tailed latencies. */
function batch(offsetMs: number, count: number) {
  return Array.from({ length: count }, (_, i) =>
    generation(T0 + offsetMs + i * 397_000, 1 + (i % 2), 50 + ((i * 7919) % 1000) ** 1.3 / 10),
  );
}

/** Everything the old layout exposed, per version and bucket, through SQL written for it. */
async function oldLayout(table: string) {
  return queryRows(
    client,
    `SELECT prompt_version, bucket, sum(requests) AS requests, sum(errors) AS errors,
       round(sum(latency_ms_sum), 6) AS latency, sum(ttft_count) AS ttft_count, round(sum(ttft_ms_sum), 6) AS ttft,
       sumMap(latency_ms_h) AS latency_h, sumMap(ttft_ms_h) AS ttft_h, sumMap(total_tokens_h) AS tokens_h,
       sumMap(cost_usd_h) AS cost_h, sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
       round(sum(cost_usd), 9) AS cost, sum(validated) AS validated, sum(validation_passed) AS passed,
       min(first_seen) AS first_seen, max(last_seen) AS last_seen
     FROM ${DB}.${table} WHERE project_id = 'p1' AND prompt_name = 'support'
     GROUP BY prompt_version, bucket ORDER BY prompt_version, bucket`,
  );
}

const first = batch(0, 300);
const later = batch(3_600_000 * 3, 300);

describe('migration 0009: packed version stats', () => {
  let before1h: unknown[];
  let before1d: unknown[];
  beforeAll(async () => {
    await migrate(client, { database: DB, target: 8 });
    await insertTraces(client, first, { database: DB });
    before1h = await oldLayout('promptline_version_stats_1h');
    before1d = await oldLayout('promptline_version_stats_1d');
    await migrate(client, { database: DB });
  });

  it('copies the old tables and keeps their columns readable through views of the same names', async () => {
    expect(before1h.length).toBeGreaterThan(20);
    expect(before1d.length).toBe(6);
    expect(await oldLayout('promptline_version_stats_1h')).toEqual(before1h);
    expect(await oldLayout('promptline_version_stats_1d')).toEqual(before1d);
    const objects = await queryRows<{ name: string; engine: string }>(
      client,
      `SELECT name, engine FROM system.tables WHERE database = '${DB}' AND name LIKE 'promptline_version_stats%' ORDER BY name`,
    );
    expect(objects).toEqual([
      { name: 'promptline_version_stats', engine: 'AggregatingMergeTree' },
      { name: 'promptline_version_stats_1d', engine: 'View' },
      { name: 'promptline_version_stats_1h', engine: 'View' },
      { name: 'promptline_version_stats_mv', engine: 'MaterializedView' },
    ]);
  });

  it('an interrupted migration re-run copies nothing twice', async () => {
    const statements = renderMigrations({ database: DB }).find((m) => m.version === 9)?.statements ?? [];
    expect(statements.length).toBeGreaterThan(5);
    for (const s of statements) await client.command({ query: s });
    expect(await oldLayout('promptline_version_stats_1h')).toEqual(before1h);
    expect(await oldLayout('promptline_version_stats_1d')).toEqual(before1d);
  });

  it('new spans reach the packed table once, through its one view, and merges keep every figure', async () => {
    // The same spans into a fresh database give the reference figures for all 600.
    await insertTraces(client, later, { database: DB });
    await migrate(client, { database: 'ref' });
    await insertTraces(
      client,
      first.map((s, i) => ({ ...s, ...refIds(i) })),
      { database: 'ref' },
    );
    await insertTraces(client, later, { database: 'ref' });
    await client.command({ query: `OPTIMIZE TABLE ${DB}.promptline_version_stats FINAL` });
    const stored = await queryRows<{ n: string }>(
      client,
      `SELECT count() AS n FROM ${DB}.promptline_version_stats FINAL`,
    );
    expect(Number(stored[0]?.n)).toBeGreaterThan(0);
    const [mine, ref] = await Promise.all(
      [DB, 'ref'].map((database) =>
        queryRows(
          client,
          `SELECT prompt_version, bucket, sum(requests) AS requests, sumMap(latency_ms_h) AS h, sum(errors) AS errors
           FROM ${database}.promptline_version_stats_1h GROUP BY prompt_version, bucket ORDER BY prompt_version, bucket`,
        ),
      ),
    );
    expect(mine).toEqual(ref);
    const window = { database: DB, projectId: 'p1', promptName: 'support', includeScores: false };
    const from = new Date(T0 - 3_600_000);
    const to = new Date(T0 + 3_600_000 * 48 + 17 * 60_000);
    const a = await metricsByVersion(client, { ...window, from, to });
    const b = await metricsByVersion(client, { ...window, database: 'ref', from, to });
    expect(a.reduce((s, m) => s + m.requests, 0)).toBe(600);
    // Float sums may differ in the last bits (summation order): compare to 12 significant digits.
    expect(roundFloats(a)).toEqual(roundFloats(b));
  });
});

/** Ids for the reference copy (distinct spans, same figures). */
function refIds(i: number) {
  return { TraceId: `f${i.toString(16).padStart(31, '0')}`, SpanId: `f${i.toString(16).padStart(15, '0')}` };
}

function roundFloats(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? v : Number(v.toPrecision(12));
  if (Array.isArray(v)) return v.map(roundFloats);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundFloats(x)]));
  return v;
}
