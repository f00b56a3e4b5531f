/**
 * A span counts once, however often it is delivered (migration 0015): the identity of a span is
 * (project, trace id, span id). Copies in one insert, in later inserts (with or without a
 * deduplication token), and copies with other content change no generation row and nothing built
 * from generations (per-version aggregates, label history, span index, unlinked counts). A batch
 * retried with its own token after a half-done insert still gets in. Also on an upgraded database
 * (the set is filled from the generations stored before) and on one node of the cluster layout.
 */
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { afterAll, describe, expect, it } from 'vitest';
import { insertTraces, metricsByVersion, migrate, renderMigrations } from '../src/index.js';
import type { TraceRow } from '../src/index.js';
import { spanIdentitySql } from '../src/schema/spanIdentity.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { chTimestamp, hexId, traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

const HOUR = Date.UTC(2026, 10, 20, 12);
let n = 0;

/** A linked generation of `support` v`version` in `project`, fresh ids unless given. */
function gen(
  project: string,
  version: string,
  over: Partial<TraceRow> & { attrs?: Record<string, string> } = {},
): TraceRow {
  n++;
  const { attrs, ...rest } = over;
  return traceRow({
    TraceId: hexId(1000 + n, 32),
    SpanId: hexId(1000 + n, 16),
    Timestamp: chTimestamp(HOUR + n * 1000),
    Duration: 100_000_000 + n * 1_000_000,
    ResourceAttributes: { 'service.name': 'svc', [RESOURCE.PROJECT_ID]: project },
    SpanAttributes: {
      [GEN_AI.OPERATION_NAME]: 'chat',
      [GEN_AI.PROMPT_NAME]: 'support',
      [PROMPTLINE.PROMPT_VERSION]: version,
      [PROMPTLINE.PROMPT_LABEL]: 'production',
      [GEN_AI.USAGE_INPUT_TOKENS]: '100',
      [GEN_AI.USAGE_OUTPUT_TOKENS]: '10',
      ...attrs,
    },
    ...rest,
  });
}

/** Everything built from generations, for one database: what a re-sent span must not change. */
async function figures(db: string): Promise<Record<string, unknown>> {
  const q = <T>(sql: string): Promise<T[]> => queryRows<T>(client, sql);
  return {
    generations: await q(
      `SELECT project_id, prompt_version, toUInt32(count()) AS n, sum(latency_ms) AS latency,
         toUInt32(sum(input_tokens)) AS tokens
       FROM ${db}.promptline_generations GROUP BY project_id, prompt_version ORDER BY project_id, prompt_version`,
    ),
    stats: await q(
      `SELECT project_id, prompt_version, bucket_seconds, sumMap(counts) AS counts, sumMap(sums) AS sums,
         sumMap(hist) AS hist FROM ${db}.promptline_version_stats
       GROUP BY project_id, prompt_version, bucket_seconds ORDER BY project_id, prompt_version, bucket_seconds`,
    ),
    labels: await q(
      `SELECT project_id, prompt_label, prompt_version, sum(requests) AS requests
       FROM ${db}.promptline_label_history GROUP BY project_id, prompt_label, prompt_version
       ORDER BY project_id, prompt_label, prompt_version`,
    ),
    spanIndex: await q(`SELECT count() AS n FROM ${db}.promptline_span_index`),
    unlinked: await q(
      `SELECT project_id, unlinked_reason, sum(generations) AS n FROM ${db}.promptline_unlinked_stats
       GROUP BY project_id, unlinked_reason ORDER BY project_id, unlinked_reason`,
    ),
  };
}

async function count(sql: string): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(client, sql);
  return Number(row?.n);
}

describe('a span counts once', () => {
  const db = 'ident';
  const first = [
    gen('p1', '2'),
    gen('p1', '2'),
    gen('p1', '3'),
    gen('p1', '3', { attrs: { [PROMPTLINE.PROMPT_FALLBACK]: 'true' } }),
  ];

  it('copies in the same insert, in later inserts, without a token and with other content count once', async () => {
    await migrate(client, { database: db });
    // The same span twice in one insert.
    await insertTraces(client, [...first, first[0]!], { database: db, dedupToken: 'seg-1' });
    const before = await figures(db);
    expect(before.generations).toEqual([
      { project_id: 'p1', prompt_version: 0, n: 1, latency: 104, tokens: 100 },
      { project_id: 'p1', prompt_version: 2, n: 2, latency: 203, tokens: 200 },
      { project_id: 'p1', prompt_version: 3, n: 1, latency: 103, tokens: 100 },
    ]);
    // Later inserts: a new WAL segment with copies of two spans, copies without a token (an
    // upstream collector), and a copy with other content (same ids, another version and latency):
    // none of them changes anything.
    await insertTraces(client, [first[1]!, first[2]!], { database: db, dedupToken: 'seg-2' });
    await insertTraces(client, [first[2]!], { database: db });
    await insertTraces(client, [first[2]!], { database: db });
    const changed = {
      ...first[0]!,
      Duration: 999_000_000,
      SpanAttributes: { ...first[0]!.SpanAttributes, [PROMPTLINE.PROMPT_VERSION]: '9' },
    };
    await insertTraces(client, [changed], { database: db, dedupToken: 'seg-3' });
    expect(await figures(db)).toEqual(before);
    // A new span among copies is counted, once.
    const fresh = gen('p1', '3');
    await insertTraces(client, [first[3]!, fresh, fresh], { database: db, dedupToken: 'seg-4' });
    expect(((await figures(db)).generations as unknown[])[2]).toEqual({
      project_id: 'p1',
      prompt_version: 3,
      n: 2,
      latency: 103 + 105,
      tokens: 200,
    });
    // otel_traces keeps every copy that arrived (the exporter's table, unchanged).
    expect(await count(`SELECT count() AS n FROM ${db}.otel_traces`)).toBe(5 + 2 + 1 + 1 + 1 + 3);
    expect(await count(`SELECT uniqExact(TraceId, SpanId) AS n FROM ${db}.otel_traces`)).toBe(5);
  });

  it('the set and the response-id index are written through the memtable, not one file per insert (0018)', async () => {
    const rows = await queryRows<{ name: string; q: string }>(
      client,
      `SELECT name, create_table_query AS q FROM system.tables
       WHERE database = '${db}' AND name IN ('promptline_span_ids', 'promptline_response_index') ORDER BY name`,
    );
    expect(rows.map((r) => [r.name, /optimize_for_bulk_insert = 0/.test(r.q)])).toEqual([
      ['promptline_response_index', true],
      ['promptline_span_ids', true],
    ]);
  });

  it('per-version metrics equal a count over the distinct spans', async () => {
    const rows = await metricsByVersion(client, {
      database: db,
      projectId: 'p1',
      promptName: 'support',
      from: new Date(HOUR - 3_600_000),
      to: new Date(HOUR + 7_200_000),
    });
    expect(rows.map((r) => [r.versionName, r.requests, r.inputTokens])).toEqual([
      ['3', 2, 200],
      ['2', 2, 200],
    ]);
  });

  it('the same ids in another project are another span', async () => {
    const other = {
      ...first[0]!,
      ResourceAttributes: { 'service.name': 'svc', [RESOURCE.PROJECT_ID]: 'p2' },
    };
    await insertTraces(client, [other], { database: db, dedupToken: 'seg-p2' });
    expect(await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE project_id = 'p2'`)).toBe(
      1,
    );
  });

  it('a batch retried with its own token after a half-done insert gets in; under another token it does not', async () => {
    // An insert that failed after the span set took the spans (RocksDB writes are not undone) left
    // them in the set under its token; the retry with that token must still store them.
    const retried = [gen('p1', '5'), gen('p1', '5')];
    const setRow = (span: TraceRow, token: string): string =>
      `SELECT ${spanIdentitySql(`toDateTime64('${span.Timestamp}', 9, 'UTC')`, "'p1'", `'${span.TraceId}'`, `'${span.SpanId}'`)}, cityHash64('${token}'), 1`;
    await client.command({
      query: `INSERT INTO ${db}.promptline_span_ids (span_hash, batch, seen) ${retried.map((s) => setRow(s, 'seg-5')).join(' UNION ALL ')}`,
    });
    await insertTraces(client, [retried[0]!], { database: db, dedupToken: 'seg-6' });
    expect(
      await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE prompt_version = 5`),
    ).toBe(0);
    await insertTraces(client, retried, { database: db, dedupToken: 'seg-5' });
    expect(
      await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE prompt_version = 5`),
    ).toBe(2);
    // Replayed once more with the same token (the WAL after a crash): the token makes it a no-op.
    await insertTraces(client, retried, { database: db, dedupToken: 'seg-5' });
    expect(
      await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE prompt_version = 5`),
    ).toBe(2);
    const [stats] = await queryRows<{ requests: string }>(
      client,
      `SELECT sum(requests) AS requests FROM ${db}.promptline_version_stats_1h WHERE prompt_version = 5`,
    );
    expect(Number(stats!.requests)).toBe(2);
  });
});

describe('upgrade', () => {
  it('fills the set from the generations stored before 0015, and old rows read their names and reasons', async () => {
    const db = 'upgrade';
    await migrate(client, { database: db, target: 14 });
    const old = [gen('p1', '7'), gen('p1', '7', { attrs: { [PROMPTLINE.PROMPT_FALLBACK]: 'true' } })];
    // Before 0015 a copy counted twice.
    await insertTraces(client, [old[0]!, old[0]!, old[1]!], { database: db, dedupToken: 'old-1' });
    expect(
      await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE prompt_version = 7`),
    ).toBe(2);
    const result = await migrate(client, { database: db });
    expect(result.applied).toEqual([15, 16, 17, 18, 19, 20, 100]);
    // A copy of an old span is known; a new span is not.
    await insertTraces(client, [old[0]!, old[1]!, gen('p1', '7')], { database: db, dedupToken: 'new-1' });
    expect(
      await count(`SELECT count() AS n FROM ${db}.promptline_generations WHERE prompt_version = 7`),
    ).toBe(3);
    const rows = await queryRows<{ prompt_version_name: string; unlinked_reason: string; n: number }>(
      client,
      `SELECT prompt_version_name, unlinked_reason, toUInt32(count()) AS n FROM ${db}.promptline_generations
       GROUP BY prompt_version_name, unlinked_reason ORDER BY prompt_version_name`,
    );
    expect(rows).toEqual([
      { prompt_version_name: '', unlinked_reason: 'fallback', n: 1 },
      { prompt_version_name: '7', unlinked_reason: '', n: 3 },
    ]);
    // The unlinked counts were filled from the stored generations; the aggregates read old rows' names.
    expect(await count(`SELECT sum(generations) AS n FROM ${db}.promptline_unlinked_stats`)).toBe(1);
    const names = await queryRows<{ prompt_version_name: string }>(
      client,
      `SELECT DISTINCT prompt_version_name FROM ${db}.promptline_version_stats_1h`,
    );
    expect(names).toEqual([{ prompt_version_name: '7' }]);
  });
});

describe('one node of the cluster layout', () => {
  /** A cluster statement as one node runs it on the embedded engine (no keeper, no Distributed). */
  const asOneNode = (sql: string): string =>
    sql.replace(/ ON CLUSTER `c`/g, '').replace(/Replicated(\w*MergeTree)\('[^']*', '[^']*'(?:, )?/g, '$1(');

  it('deduplicates against the node’s own set, under the single-node names of the readers', async () => {
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS cl' });
    const statements = renderMigrations({ cluster: 'c', database: 'cl' }).flatMap((m) => m.statements);
    const distributed = statements
      .filter((s) => s.includes('Distributed('))
      .map((s) => /^CREATE TABLE IF NOT EXISTS (`cl`\.`\w+`)/.exec(s)?.[1] ?? '');
    for (const s of statements) {
      if (s.includes('Distributed(')) continue;
      if (distributed.some((name) => name !== '' && s.includes(name))) continue;
      await client.command({ query: asOneNode(s) });
    }
    const span = gen('p1', '2.1.0');
    await insertTraces(client, [span, span], {
      database: 'cl',
      table: 'otel_traces_local',
      dedupToken: 'c-1',
    });
    await insertTraces(client, [span], { database: 'cl', table: 'otel_traces_local', dedupToken: 'c-2' });
    const rows = await queryRows<{ prompt_version_name: string; n: number }>(
      client,
      'SELECT prompt_version_name, toUInt32(count()) AS n FROM cl.promptline_generations_local GROUP BY prompt_version_name',
    );
    expect(rows).toEqual([{ prompt_version_name: '2.1.0', n: 1 }]);
    // The set is a RocksDB table of this node.
    const [engineRow] = await queryRows<{ engine: string }>(
      client,
      "SELECT engine FROM system.tables WHERE database = 'cl' AND name = 'promptline_span_ids_local'",
    );
    expect(engineRow!.engine).toBe('EmbeddedRocksDB');
  });
});
