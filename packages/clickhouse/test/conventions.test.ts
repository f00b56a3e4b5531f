import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GEN_AI,
  LANGFUSE,
  OPENINFERENCE,
  PROMPTLINE,
  RESOURCE,
  TRACELOOP,
  VERCEL_AI,
} from '@promptline/semconv';
import { insertTraces, listModelPrices, migrate, upsertModelPrices } from '../src/index.js';
import { renderMigration } from '../src/schema/renderSql.js';
import { queryRows, tempEngine } from '../../../test/kit/engine.js';
import { traceRow } from '../../../test/kit/rows.js';

const engine = tempEngine();
const { client } = engine;
afterAll(() => engine.close());

interface GenRow {
  span_id: string;
  prompt_name: string;
  prompt_version: number;
  prompt_source: string;
  prompt_fallback: number;
  model: string;
  provider: string;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  input_cost_usd: number;
  output_cost_usd: number;
  cost_source: string;
  environment: string;
  project_id: string;
  ttft_ms: number | null;
}
async function gen(spanId: string, db = 'cv'): Promise<GenRow | undefined> {
  const r = await queryRows<GenRow>(
    client,
    `SELECT * FROM ${db}.promptline_generations WHERE span_id = {s:String}`,
    { s: spanId },
  );
  return r[0];
}

describe('prompt links from other conventions', () => {
  beforeAll(async () => {
    await migrate(client, { database: 'cv' });
  });

  it('links ours, Langfuse, OpenLLMetry, OpenInference and Vercel AI SDK spans; never fallbacks', async () => {
    const cases = [
      traceRow({
        SpanAttributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROMPT_NAME]: 'ours',
          [PROMPTLINE.PROMPT_VERSION]: '3',
          [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
          [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: '0.125',
        },
        ResourceAttributes: {
          [RESOURCE.PROJECT_ID]: 'p1',
          [RESOURCE.DEPLOYMENT_ENVIRONMENT_LEGACY]: 'legacy-env',
        },
      }),
      traceRow({
        SpanAttributes: {
          [LANGFUSE.OBSERVATION_TYPE]: 'generation',
          [LANGFUSE.PROMPT_NAME]: 'lf',
          [LANGFUSE.PROMPT_VERSION]: '7',
          [LANGFUSE.MODEL_NAME]: 'gpt-4o',
          [LANGFUSE.USAGE_DETAILS]: '{"input":1000,"output":100}',
          [LANGFUSE.COST_DETAILS]: '{"input":0.01,"output":0.02,"total":0.03}',
        },
      }),
      traceRow({
        SpanAttributes: {
          [TRACELOOP.REQUEST_TYPE]: 'chat',
          [TRACELOOP.PROMPT_KEY]: 'tl',
          [TRACELOOP.PROMPT_VERSION]: '2',
          [TRACELOOP.USAGE_PROMPT_TOKENS]: '11',
          [TRACELOOP.USAGE_COMPLETION_TOKENS]: '5',
        },
      }),
      traceRow({
        SpanAttributes: {
          [OPENINFERENCE.SPAN_KIND]: 'LLM',
          [OPENINFERENCE.PROMPT_ID]: 'oi-prompt',
          [OPENINFERENCE.PROMPT_TEMPLATE_VERSION]: 'v4',
          [OPENINFERENCE.MODEL_NAME]: 'claude-3-5-haiku-20241022',
          [OPENINFERENCE.TOKEN_COUNT_PROMPT]: '1000000',
          [OPENINFERENCE.TOKEN_COUNT_COMPLETION]: '1000000',
        },
      }),
      traceRow({
        SpanAttributes: {
          [OPENINFERENCE.SPAN_KIND]: 'LLM',
          [OPENINFERENCE.PROMPT_TEMPLATE]: 'Summarise {text}',
          [OPENINFERENCE.PROMPT_TEMPLATE_VERSION]: '1',
        },
      }),
      traceRow({
        SpanName: 'ai.generateText.doGenerate',
        SpanAttributes: {
          [VERCEL_AI.MODEL_ID]: 'gpt-4o-mini',
          [VERCEL_AI.MODEL_PROVIDER]: 'openai.chat',
          [VERCEL_AI.USAGE_PROMPT_TOKENS]: '20',
          [VERCEL_AI.MS_TO_FIRST_CHUNK]: '42',
          [VERCEL_AI.METADATA_LANGFUSE_PROMPT]: '{"name":"vp","version":5,"isFallback":false}',
        },
      }),
      traceRow({
        SpanName: 'ai.streamText.doStream',
        SpanAttributes: {
          [VERCEL_AI.MODEL_ID]: 'gpt-4o-mini',
          [VERCEL_AI.METADATA_PROMPT_NAME]: 'vp2',
          [VERCEL_AI.METADATA_PROMPT_VERSION]: '9',
        },
      }),
      // Fallbacks: ours and Langfuse-through-Vercel.
      traceRow({
        SpanAttributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROMPT_NAME]: 'ours',
          [PROMPTLINE.PROMPT_VERSION]: '3',
          [PROMPTLINE.PROMPT_FALLBACK]: 'true',
        },
      }),
      traceRow({
        SpanName: 'ai.generateText.doGenerate',
        SpanAttributes: {
          [VERCEL_AI.MODEL_ID]: 'gpt-4o-mini',
          [VERCEL_AI.METADATA_LANGFUSE_PROMPT]: '{"name":"vp","version":5,"isFallback":true}',
        },
      }),
      // Not generations: the outer Vercel span and a plain HTTP span.
      traceRow({ SpanName: 'ai.generateText', SpanAttributes: { [VERCEL_AI.MODEL_ID]: 'gpt-4o-mini' } }),
      traceRow({ SpanAttributes: { 'http.request.method': 'GET' } }),
    ];
    await insertTraces(client, cases, { database: 'cv' });
    const got = await Promise.all(cases.map((c) => gen(c.SpanId)));
    const link = (g: GenRow | undefined) =>
      g && [g.prompt_source, g.prompt_name, g.prompt_version, g.prompt_fallback];
    expect(got.map(link)).toEqual([
      ['promptline', 'ours', 3, 0],
      ['langfuse', 'lf', 7, 0],
      ['traceloop', 'tl', 2, 0],
      ['openinference', 'oi-prompt', 4, 0],
      ['openinference', expect.stringMatching(/^template-[0-9a-f]{16}$/), 1, 0],
      ['vercel', 'vp', 5, 0],
      ['vercel', 'vp2', 9, 0],
      ['promptline', 'ours', 0, 1],
      ['vercel', 'vp', 0, 1],
      undefined,
      undefined,
    ]);
    const [ours, lf, tl, oi, , vp] = got;
    expect([ours?.project_id, ours?.environment, ours?.ttft_ms]).toEqual(['p1', 'legacy-env', 125]);
    expect([lf?.model, lf?.input_tokens, lf?.output_tokens, lf?.cost_source]).toEqual([
      'gpt-4o',
      1000,
      100,
      'span',
    ]);
    expect([lf?.cost_usd, lf?.input_cost_usd, lf?.output_cost_usd]).toEqual([0.03, 0.01, 0.02]);
    expect([tl?.input_tokens, tl?.output_tokens, tl?.cost_source]).toEqual([11, 5, 'none']);
    // claude-3-5-haiku: 0.8 in / 4.0 out per 1M.
    expect([oi?.cost_source, oi?.cost_usd]).toEqual(['price_table', 4.8]);
    expect([vp?.provider, vp?.input_tokens, vp?.ttft_ms]).toEqual(['openai', 20, 42]);
  });
});

describe('model prices', () => {
  it('prices by effective date, tier and cache reads; explicit cost wins; unknown models cost nothing', async () => {
    await upsertModelPrices(
      client,
      [
        {
          modelPattern: '^acme-1$',
          usageType: 'input',
          usdPerMillion: 1,
          effectiveFrom: new Date('2026-01-01T00:00:00Z'),
        },
        {
          modelPattern: '^acme-1$',
          usageType: 'output',
          usdPerMillion: 2,
          effectiveFrom: new Date('2026-01-01T00:00:00Z'),
        },
        {
          modelPattern: '^acme-1$',
          usageType: 'input',
          usdPerMillion: 10,
          effectiveFrom: new Date('2026-06-01T00:00:00Z'),
        },
        {
          modelPattern: '^acme-1$',
          usageType: 'output',
          usdPerMillion: 20,
          effectiveFrom: new Date('2026-06-01T00:00:00Z'),
        },
        {
          modelPattern: '^acme-1$',
          usageType: 'cache_read',
          usdPerMillion: 5,
          effectiveFrom: new Date('2026-06-01T00:00:00Z'),
        },
        {
          modelPattern: '^acme-1$',
          usageType: 'input',
          usdPerMillion: 100,
          effectiveFrom: new Date('2026-06-01T00:00:00Z'),
          minInputTokens: 500_000,
        },
        // A prefix pattern matches earlier in the name than an anchored one: precedence, not match
        // position, must decide (the newer price wins for zeta-mini; zeta-max has only the prefix one).
        {
          modelPattern: '^zeta',
          usageType: 'input',
          usdPerMillion: 7,
          effectiveFrom: new Date('2025-01-01T00:00:00Z'),
        },
        {
          modelPattern: '^zeta-mini$',
          usageType: 'input',
          usdPerMillion: 3,
          effectiveFrom: new Date('2026-01-01T00:00:00Z'),
        },
      ],
      { database: 'cv' },
    );
    const at = (iso: string, attrs: Record<string, string>) =>
      traceRow({
        Timestamp: iso,
        SpanAttributes: { [GEN_AI.OPERATION_NAME]: 'chat', [GEN_AI.REQUEST_MODEL]: 'acme-1', ...attrs },
      });
    const tokens = { [GEN_AI.USAGE_INPUT_TOKENS]: '1000000', [GEN_AI.USAGE_OUTPUT_TOKENS]: '1000000' };
    const cases = [
      at('2025-12-31T23:59:59Z', tokens), // before any price
      at('2026-03-01T00:00:00Z', tokens), // old price: 1 + 2
      at('2026-07-01T00:00:00Z', {
        [GEN_AI.USAGE_INPUT_TOKENS]: '400000',
        [GEN_AI.USAGE_OUTPUT_TOKENS]: '1000000',
        [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: '100000',
      }), // new price, below the tier: 0.3*10 + 0.1*5 + 1*20
      at('2026-07-01T00:00:00Z', { [GEN_AI.USAGE_INPUT_TOKENS]: '600000' }), // tier: 0.6 * 100
      at('2026-07-01T00:00:00Z', { ...tokens, [PROMPTLINE.COST_USD]: '0.5' }), // explicit wins
      traceRow({
        SpanAttributes: { [GEN_AI.OPERATION_NAME]: 'chat', [GEN_AI.REQUEST_MODEL]: 'mystery', ...tokens },
      }),
      ...['zeta-mini', 'zeta-max'].map((model) =>
        traceRow({
          Timestamp: '2026-07-01T00:00:00Z',
          SpanAttributes: {
            [GEN_AI.OPERATION_NAME]: 'chat',
            [GEN_AI.REQUEST_MODEL]: model,
            [GEN_AI.USAGE_INPUT_TOKENS]: '1000000',
          },
        }),
      ),
    ];
    await insertTraces(client, cases, { database: 'cv' });
    const got = await Promise.all(cases.map((c) => gen(c.SpanId)));
    expect(got.map((g) => [g?.cost_source, g?.cost_usd])).toEqual([
      ['none', 0],
      ['price_table', 3],
      ['price_table', 23.5],
      ['price_table', 60],
      ['span', 0.5],
      ['none', 0],
      ['price_table', 3],
      ['price_table', 7],
    ]);
    const listed = await listModelPrices(client, { database: 'cv' });
    expect(listed.filter((p) => p.modelPattern === '^acme-1$')).toHaveLength(6);
    expect(listed.length).toBeGreaterThan(40); // the shipped default list is there too
  });

  it('rejects a pattern the engine cannot compile, writing nothing', async () => {
    const before = (await listModelPrices(client, { database: 'cv' })).length;
    await expect(
      upsertModelPrices(
        client,
        [
          { modelPattern: '^ok$', usageType: 'input', usdPerMillion: 1 },
          { modelPattern: '^(broken$', usageType: 'input', usdPerMillion: 1 },
        ],
        { database: 'cv' },
      ),
    ).rejects.toThrow(/model price 1: modelPattern "\^\(broken\$" does not compile/);
    await expect(
      upsertModelPrices(client, [{ modelPattern: 'x', usageType: 'bogus' as never, usdPerMillion: 1 }], {
        database: 'cv',
      }),
    ).rejects.toThrow(/usageType/);
    expect((await listModelPrices(client, { database: 'cv' })).length).toBe(before);
  });
});

describe('createSchema: false (tables made by an upstream collector)', () => {
  it('skips the otel_* migrations, records them, and the views work on the existing tables', async () => {
    // Stand-in for the upstream exporter: the otel_* DDL created outside our migrations.
    await client.command({ query: 'CREATE DATABASE IF NOT EXISTS up' });
    for (const file of ['0001_otel_traces.sql', '0002_otel_logs.sql']) {
      const { readFileSync } = await import('node:fs');
      const { join } = await import('node:path');
      const { defaultMigrationsDir } = await import('../src/schema/migrate.js');
      for (const stmt of renderMigration(readFileSync(join(defaultMigrationsDir(), file), 'utf8'), {
        database: 'up',
      })) {
        await client.command({ query: stmt });
      }
    }
    const r = await migrate(client, { database: 'up', createSchema: false });
    expect(r.skipped).toEqual([1, 2, 11]);
    expect(r.applied).toContain(5);
    const again = await migrate(client, { database: 'up', createSchema: false });
    expect(again.applied).toEqual([]);
    const s = traceRow({
      SpanAttributes: {
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.PROMPT_NAME]: 'x',
        [PROMPTLINE.PROMPT_VERSION]: '1',
      },
    });
    await insertTraces(client, [s], { database: 'up' });
    expect((await gen(s.SpanId, 'up'))?.prompt_version).toBe(1);
  });
});
