/**
 * Migration 0019 changes only how the generations view reads span attributes (from a map of the
 * attributes it reads, built once per span, instead of SpanAttributes itself). Proven two ways:
 *   - the rendered view reads exactly the keys 0015's view read, and every one of them is in the
 *     map it builds (a key left out of the list would read as '' and change rows silently);
 *   - seeded random spans over every key the view reads (each convention's names, versions,
 *     models, tokens, costs, JSON metadata), with unrelated attributes mixed in and copies of spans
 *     in one insert and in a later one, give the same generation rows, column by column, before
 *     0019 (schema at 0018) and after it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { insertTraces, migrate, promptNamesOf, renderMigrations } from '../src/index.js';
import type { TraceRow } from '../src/index.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';
import { chTimestamp, hexId, traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

/** The generations view as migration `version` creates it, single node. */
function generationsView(version: number): string {
  const statements = renderMigrations({}).find((m) => m.version === version)?.statements ?? [];
  const view = statements.find((s) =>
    /CREATE MATERIALIZED VIEW IF NOT EXISTS \S*promptline_generations_mv/.test(s),
  );
  if (view === undefined) throw new Error(`migration ${version} creates no generations view`);
  return view;
}
const keysRead = (sql: string, map: string): Set<string> =>
  new Set([...sql.matchAll(new RegExp(`${map}\\['([^']*)'\\]`, 'g'))].map((m) => m[1]!));

/**
 * `count` seeded random spans over `keys` (each convention's names, versions, models, tokens, costs,
 * JSON metadata), with unrelated attributes mixed in.
 */
function randomSpans(keys: readonly string[], seed: number, count: number): TraceRow[] {
  const values = [
    '',
    'chat',
    'text_completion',
    'generation',
    'LLM',
    'completion',
    'true',
    'false',
    '0',
    '3',
    'v7',
    ' 12 ',
    '2.1.0',
    '2147483648',
    'support',
    'gpt-4o-mini',
    'claude-3-5-sonnet',
    'openai.chat',
    'openai',
    '120',
    '-5',
    '0.125',
    '1.5e-3',
    'a1b2c3d4e5f6',
    'sha256:00ff00ff00ff',
    'Answer {{question}}',
    '{"name":"lf-prompt","version":4,"isFallback":false}',
    '{"name":"lf-prompt","version":"2.0.0-rc1","isFallback":true}',
    '{"input":100,"output":20}',
    '{"total":0.25,"input":0.2,"output":0.05}',
    'err_rate_limited',
    'chatcmpl-42',
  ];
  const rnd = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const spans: TraceRow[] = [];
  for (let i = 0; i < count; i++) {
    const attrs: Record<string, string> = {};
    const n = 2 + Math.floor(rnd() * 12);
    for (let j = 0; j < n; j++) attrs[pick(keys)] = pick(values);
    // Unrelated attributes the view never reads.
    for (let j = 0; j < Math.floor(rnd() * 6); j++) attrs[`app.attr.${j}`] = pick(values);
    if (rnd() < 0.8) attrs['gen_ai.operation.name'] = 'chat';
    spans.push(
      traceRow({
        TraceId: hexId(5000 + i, 32),
        SpanId: hexId(5000 + i, 16),
        Timestamp: chTimestamp(Date.UTC(2026, 10, 20, 12) + i * 997),
        Duration: 1_000_000 * (1 + i),
        SpanName: rnd() < 0.1 ? 'ai.generateText.doGenerate' : 'chat model',
        StatusCode: rnd() < 0.1 ? 'Error' : 'Unset',
        ResourceAttributes: {
          'service.name': 'svc',
          'promptline.project.id': pick(['p1', 'p2', '']),
          'deployment.environment.name': pick(['', 'production']),
        },
        SpanAttributes: attrs,
      }),
    );
  }
  return spans;
}

describe('migration 0019: the generations view reads its attributes from one filtered map', () => {
  const before = generationsView(15);
  const after = generationsView(19);

  it('reads the same keys as 0015, each of them kept by the filter', () => {
    const listed = /mapFilter\(\(k, v\) -> k IN \(([^)]*)\), SpanAttributes\) AS attrs/.exec(after)?.[1];
    expect(listed).toBeDefined();
    const kept = new Set([...listed!.matchAll(/'([^']*)'/g)].map((m) => m[1]!));
    const viaMap = keysRead(after, 'attrs');
    // Outside the projection (the WHERE that picks generation spans) SpanAttributes is read as before.
    const direct = keysRead(after, 'SpanAttributes');
    expect(viaMap.size).toBeGreaterThan(40);
    expect([...viaMap].filter((k) => !kept.has(k))).toEqual([]);
    expect(new Set([...viaMap, ...direct])).toEqual(keysRead(before, 'SpanAttributes'));
  });

  it('stores the same generation rows as before it, for random spans of every convention', async () => {
    const keys = [...keysRead(before, 'SpanAttributes')];
    const spans = randomSpans(keys, 19, 400);
    const rows = async (db: string): Promise<unknown[]> =>
      queryRows(client, `SELECT * FROM ${db}.promptline_generations ORDER BY project_id, trace_id, span_id`);
    for (const db of ['at18', 'at19']) {
      await migrate(client, { database: db, target: db === 'at18' ? 18 : 19 });
      await insertTraces(client, [...spans.slice(0, 300), spans[0]!, spans[1]!], {
        database: db,
        dedupToken: 'g-1',
      });
      await insertTraces(client, spans.slice(200), { database: db, dedupToken: 'g-2' });
    }
    const at18 = await rows('at18');
    expect(at18.length).toBeGreaterThan(250);
    expect(await rows('at19')).toEqual(at18);
  });
});

describe('migration 0020: an insert of spans vouched new skips the identity lookup', () => {
  const keys = [...keysRead(generationsView(15), 'SpanAttributes')];
  const spans = randomSpans(keys, 20, 400);
  const rows = async (db: string): Promise<unknown[]> =>
    queryRows(client, `SELECT * FROM ${db}.promptline_generations ORDER BY project_id, trace_id, span_id`);
  const count = async (db: string): Promise<number> =>
    Number(
      (await queryRows<{ n: string }>(client, `SELECT count() AS n FROM ${db}.promptline_generations`))[0]?.n,
    );

  it('stores the same rows as 0019 on either path, and a looked-up copy of a span inserted as new passes no more', async () => {
    // 0019, every insert looked up: the first with copies within it, the second with copies of it.
    await migrate(client, { database: 'v19', target: 19 });
    await insertTraces(client, [...spans.slice(0, 300), spans[0]!, spans[1]!], {
      database: 'v19',
      dedupToken: 'n-1',
    });
    await insertTraces(client, spans.slice(200), { database: 'v19', dedupToken: 'n-2' });
    // 0020, the same inserts looked up.
    await migrate(client, { database: 'v20', target: 20 });
    await insertTraces(client, [...spans.slice(0, 300), spans[0]!, spans[1]!], {
      database: 'v20',
      dedupToken: 'n-1',
    });
    await insertTraces(client, spans.slice(200), { database: 'v20', dedupToken: 'n-2' });
    // 0020, the first insert's distinct spans vouched new; the copies after it looked up.
    await migrate(client, { database: 'v20new', target: 20 });
    await insertTraces(client, spans.slice(0, 300), {
      database: 'v20new',
      dedupToken: 'n-1',
      newSpans: true,
    });
    await insertTraces(client, [spans[0]!, spans[1]!, ...spans.slice(200)], {
      database: 'v20new',
      dedupToken: 'n-2',
    });
    const at19 = await rows('v19');
    expect(at19.length).toBeGreaterThan(250);
    expect(await rows('v20')).toEqual(at19);
    expect(await rows('v20new')).toEqual(at19);
  });

  it('takes the promise as given: a copy vouched new counts again (the lookup is skipped)', async () => {
    await migrate(client, { database: 'v20twice', target: 20 });
    const some = spans.slice(0, 100);
    await insertTraces(client, some, { database: 'v20twice', dedupToken: 't-1', newSpans: true });
    const once = await count('v20twice');
    expect(once).toBeGreaterThan(50);
    // Looked up, the copies pass no more: the first insert wrote their identities.
    await insertTraces(client, some, { database: 'v20twice', dedupToken: 't-2' });
    expect(await count('v20twice')).toBe(once);
    // Vouched new, they are not looked up: only a writer that knows may make the promise.
    await insertTraces(client, some, { database: 'v20twice', dedupToken: 't-3', newSpans: true });
    expect(await count('v20twice')).toBe(2 * once);
  });
});

describe('promptNamesOf: the names a span may be stored under', () => {
  it('holds the name the generations view stores, for random spans of every convention', async () => {
    const keys = [...keysRead(generationsView(19), 'attrs')];
    const nameKeys = [
      'gen_ai.prompt.name',
      'langfuse.observation.prompt.name',
      'traceloop.prompt.key',
      'prompt.id',
      'llm.prompt_template.template',
      'ai.telemetry.metadata.langfusePrompt',
      'ai.telemetry.metadata.promptName',
    ];
    expect(nameKeys.filter((k) => !keys.includes(k))).toEqual([]);
    // The naming keys weigh more, so that most spans carry one or several of them.
    const spans = randomSpans([...keys, ...nameKeys, ...nameKeys, ...nameKeys], 23, 600);
    await migrate(client, { database: 'names' });
    await insertTraces(client, spans, { database: 'names' });
    const stored = await queryRows<{ span_id: string; prompt_name: string }>(
      client,
      'SELECT span_id, prompt_name FROM names.promptline_generations',
    );
    const bySpan = new Map(spans.map((s) => [s.SpanId, s]));
    const outcomes = { named: 0, derived: 0, unnamed: 0 };
    const missed: string[] = [];
    for (const row of stored) {
      const names = new Set<string>();
      const known = promptNamesOf(bySpan.get(row.span_id)!.SpanAttributes, names);
      if (!known) outcomes.derived++;
      else if (row.prompt_name === '') outcomes.unnamed++;
      else {
        outcomes.named++;
        if (!names.has(row.prompt_name)) missed.push(`${row.span_id}: ${row.prompt_name}`);
      }
      // A span the view stores without a name is told apart as naming none.
      if (known && row.prompt_name === '') expect(names.size).toBe(0);
    }
    expect(missed).toEqual([]);
    // Every case is met: names as sent, derived names, and spans that name no prompt.
    expect(outcomes.named).toBeGreaterThan(100);
    expect(outcomes.derived).toBeGreaterThan(20);
    expect(outcomes.unnamed).toBeGreaterThan(5);
  });
});
