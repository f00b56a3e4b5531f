import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertJsonEachRow, insertLogs, insertTraces, migrate } from '../src/index.js';
import { loadMigrations, MIGRATIONS_TABLE, ATTRIBUTE_INDEXES } from '../src/schema/migrate.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { logRow, traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

describe('migrate', () => {
  let first: Awaited<ReturnType<typeof migrate>>;
  beforeAll(async () => {
    first = await migrate(client, { database: 'pl', target: 2 });
  });

  it('applies up to a target, then upgrades, then is a no-op', async () => {
    expect(first.applied).toEqual([1, 2]);
    const all = loadMigrations().map((m) => m.version);
    const second = await migrate(client, { database: 'pl' });
    expect(second.alreadyApplied).toEqual([1, 2]);
    expect(second.applied).toEqual(all.filter((v) => v > 2));
    const third = await migrate(client, { database: 'pl' });
    expect(third.applied).toEqual([]);
    expect(third.alreadyApplied).toEqual(all);
    expect(third.changed).toEqual([]);
    const recorded = await queryRows<{ n: string }>(
      client,
      `SELECT count() AS n FROM pl.${MIGRATIONS_TABLE} FINAL`,
    );
    expect(Number(recorded[0]?.n)).toBe(all.length);
  });

  it('creates otel_traces / otel_logs with the exporter column names and types', async () => {
    const cols = await queryRows<{ table: string; name: string; type: string }>(
      client,
      "SELECT table, name, type FROM system.columns WHERE database = 'pl' AND table IN ('otel_traces', 'otel_logs') ORDER BY table, position",
    );
    const traces = cols.filter((c) => c.table === 'otel_traces').map((c) => `${c.name} ${c.type}`);
    expect(traces).toContain('Duration UInt64');
    expect(traces).toContain('SpanAttributes Map(LowCardinality(String), String)');
    expect(traces).toContain('Events.Timestamp Array(DateTime64(9))');
    expect(traces).toContain('Links.Attributes Array(Map(LowCardinality(String), String))');
    const logs = cols.filter((c) => c.table === 'otel_logs').map((c) => `${c.name} ${c.type}`);
    expect(logs).toContain('EventName String');
    expect(logs).toContain('TimestampTime DateTime');
  });
});

describe('0010: the generations view recreated', () => {
  it('keeps the rows stored before it, and every later span reaches promptline_generations once', async () => {
    const gen = (model: string) =>
      traceRow({ SpanAttributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': model } });
    await migrate(client, { database: 'up10', target: 9 });
    await insertTraces(client, [gen('before-1'), gen('before-2')], { database: 'up10' });
    const upgrade = await migrate(client, { database: 'up10' });
    expect(upgrade.applied).toContain(10);
    await insertTraces(client, [gen('after-1')], { database: 'up10' });
    // Run again (as after a crash between its two statements): still one view.
    await client.command({ query: 'DROP VIEW up10.promptline_generations_mv SYNC' });
    await client.command({ query: 'DELETE FROM up10.promptline_migrations WHERE version = 10' });
    expect((await migrate(client, { database: 'up10' })).applied).toEqual([10]);
    await insertTraces(client, [gen('after-2')], { database: 'up10' });
    const got = await queryRows<{ model: string; n: string }>(
      client,
      'SELECT model, count() AS n FROM up10.promptline_generations GROUP BY model ORDER BY model',
    );
    expect(got.map((r) => [r.model, Number(r.n)])).toEqual([
      ['after-1', 1],
      ['after-2', 1],
      ['before-1', 1],
      ['before-2', 1],
    ]);
  });
});

describe('attribute indexes', () => {
  const indexes = async (database: string): Promise<string[]> =>
    (
      await queryRows<{ name: string }>(
        client,
        `SELECT name FROM system.data_skipping_indices WHERE database = '${database}' AND table = 'otel_traces' ORDER BY name`,
      )
    ).map((r) => r.name);

  it("keeps the exporter's skip indexes by default and drops only the attribute ones on request", async () => {
    const all = [...ATTRIBUTE_INDEXES, 'idx_duration', 'idx_trace_id'].sort();
    expect(await indexes('pl')).toEqual(all);
    await migrate(client, { database: 'pl_noidx', target: 1, attributeIndexes: false });
    expect(await indexes('pl_noidx')).toEqual(['idx_duration', 'idx_trace_id']);
    // An existing table too, and again (IF EXISTS): the columns are untouched.
    await migrate(client, { database: 'pl', target: 1, attributeIndexes: false });
    await migrate(client, { database: 'pl', target: 1, attributeIndexes: false });
    expect(await indexes('pl')).toEqual(['idx_duration', 'idx_trace_id']);
    const cols = await queryRows<{ n: string }>(
      client,
      `SELECT count() AS n FROM system.columns WHERE database = 'pl' AND table = 'otel_traces'`,
    );
    const colsNoIdx = await queryRows<{ n: string }>(
      client,
      `SELECT count() AS n FROM system.columns WHERE database = 'pl_noidx' AND table = 'otel_traces'`,
    );
    expect(Number(cols[0]?.n)).toBeGreaterThan(15);
    expect(colsNoIdx[0]?.n).toBe(cols[0]?.n);
  });
});

describe('insert deduplication', () => {
  it('a repeated batch with the same token is a no-op; a new token inserts', async () => {
    const batch = [traceRow({ Duration: 5 }), traceRow({ Duration: 7, StatusCode: 'Error' })];
    await insertTraces(client, batch, { database: 'pl', dedupToken: 'batch-1' });
    await insertTraces(client, batch, { database: 'pl', dedupToken: 'batch-1' });
    let n = await queryRows<{ n: string; d: string }>(
      client,
      'SELECT count() AS n, sum(Duration) AS d FROM pl.otel_traces',
    );
    expect(Number(n[0]?.n)).toBe(2);
    expect(Number(n[0]?.d)).toBe(12);
    await insertTraces(client, [traceRow({ Duration: 1 })], {
      database: 'pl',
      dedupToken: 'weird token / with ; chars',
    });
    await insertTraces(client, batch, { database: 'pl', dedupToken: 'batch-2' });
    n = await queryRows(client, 'SELECT count() AS n, sum(Duration) AS d FROM pl.otel_traces');
    expect(Number(n[0]?.n)).toBe(5);
    await insertLogs(client, [logRow({ Body: 'x' })], { database: 'pl', dedupToken: 'l1' });
    await insertLogs(client, [logRow({ Body: 'x' })], { database: 'pl', dedupToken: 'l1' });
    const l = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM pl.otel_logs');
    expect(Number(l[0]?.n)).toBe(1);
  });

  it('pre-encoded JSONEachRow bodies are deduplicated by token too', async () => {
    const body = Buffer.from(
      [traceRow({ Duration: 11 }), traceRow({ Duration: 13 })].map((r) => JSON.stringify(r)).join('\n'),
    );
    const before = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM pl.otel_traces');
    await insertJsonEachRow(client, 'otel_traces', body, { database: 'pl', dedupToken: 'seg-7' });
    await insertJsonEachRow(client, 'otel_traces', body, { database: 'pl', dedupToken: 'seg-7' });
    const after = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM pl.otel_traces');
    expect(Number(after[0]?.n) - Number(before[0]?.n)).toBe(2);
  });

  it('rejects a bad row naming the field, inserting nothing', async () => {
    const before = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM pl.otel_traces');
    await expect(
      insertTraces(client, [traceRow(), traceRow({ TraceId: 'ABC' })], { database: 'pl' }),
    ).rejects.toThrow(/trace row 1: TraceId "ABC"/);
    await expect(
      insertTraces(client, [traceRow({ SpanKind: 'SPAN_KIND_CLIENT' as never })], { database: 'pl' }),
    ).rejects.toThrow(/SpanKind/);
    const after = await queryRows<{ n: string }>(client, 'SELECT count() AS n FROM pl.otel_traces');
    expect(after[0]?.n).toBe(before[0]?.n);
  });
});
