import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { insertTraces, metricsBreakdown, migrate, QueryOptionsError } from '../src/index.js';
import type { MetricsBreakdown, TraceRow } from '../src/index.js';
import { tempEngine } from '../../../test/kit/engine.js';
import { mulberry32 } from '../../../test/kit/random.js';
import { hexId, traceRow } from '../../../test/kit/rows.js';

/**
 * Breakdowns by business metadata on the real engine: by an aggregate column (model), by a
 * generations column (provider), by a span attribute and by a resource attribute, each bounded to
 * the top values with the rest pooled; every figure checked against the rows written.
 */

const engine = tempEngine();
const { client } = engine;
const DB = 'brk';
const PROJECT = 'proj-brk';
const PROMPT = 'extract';
// Off the hour on both ends: aggregates for the whole hours, raw rows for the edges.
const START = Date.UTC(2026, 10, 18, 6, 40, 0);
const FROM = new Date(START);
const TO = new Date(START + 5 * 3_600_000);
const rnd = mulberry32(5);

const DOC_TYPES = ['invoice', 'receipt', 'contract', 'letter', 'form', 'memo'];
interface Call {
  version: number;
  ms: number;
  model: string;
  provider: string;
  docType: string;
  tenant: string;
  error: boolean;
  latencyMs: number;
  cost: number;
}
const calls: Call[] = [];
for (let i = 0; i < 900; i++) {
  const version = i % 3 === 0 ? 1 : 2;
  // Skewed document types: invoice most, memo least; every 13th call has none.
  const docType = i % 13 === 0 ? '' : DOC_TYPES[Math.min(5, Math.floor(rnd() * rnd() * 7))]!;
  calls.push({
    version,
    ms: START + 1000 + Math.floor((i * (5 * 3_600_000 - 2000)) / 900),
    model: i % 2 === 0 ? 'gpt-4o-mini' : 'gpt-4o',
    provider: i % 5 === 0 ? 'azure' : 'openai',
    docType,
    tenant: `t${i % 4}`,
    error: i % 17 === 0,
    latencyMs: Math.round((docType === 'contract' ? 900 : 300) * (0.5 + rnd()) * 1000) / 1000,
    cost: Math.round(rnd() * 1e6) / 1e8,
  });
}

function span(c: Call, i: number): TraceRow {
  const attrs: Record<string, string> = {
    [GEN_AI.OPERATION_NAME]: 'chat',
    [GEN_AI.REQUEST_MODEL]: c.model,
    [GEN_AI.PROVIDER_NAME]: c.provider,
    [GEN_AI.PROMPT_NAME]: PROMPT,
    [PROMPTLINE.PROMPT_VERSION]: String(c.version),
    [PROMPTLINE.COST_USD]: String(c.cost),
  };
  if (c.docType !== '') attrs['app.document_type'] = c.docType;
  return traceRow({
    Timestamp: new Date(c.ms).toISOString(),
    TraceId: hexId(50_000 + i, 32),
    SpanId: hexId(50_000 + i, 16),
    Duration: Math.round(c.latencyMs * 1e6),
    StatusCode: c.error ? 'Error' : 'Unset',
    SpanAttributes: attrs,
    ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT, 'app.tenant': c.tenant },
  });
}

beforeAll(async () => {
  await migrate(client, { database: DB });
  // Other spans in the window (not generations, other prompts) that the attribute read must skip.
  const noise = Array.from({ length: 200 }, (_, i) =>
    traceRow({
      Timestamp: new Date(START + i * 60_000).toISOString(),
      SpanName: 'http GET',
      SpanAttributes: { 'app.document_type': 'noise' },
      ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT },
    }),
  );
  await insertTraces(client, [...calls.map(span), ...noise], { database: DB, dedupToken: 'calls' });
}, 120_000);
afterAll(() => engine.close());

const base = { database: DB, projectId: PROJECT, promptName: PROMPT, from: FROM, to: TO };

/** Expected values of a breakdown, from the calls: values by count (ties by value), top `top`. */
function expectBreakdown(result: MetricsBreakdown, valueOf: (c: Call) => string, top: number): void {
  const byValue = new Map<string, Call[]>();
  for (const c of calls) byValue.set(valueOf(c), [...(byValue.get(valueOf(c)) ?? []), c]);
  const ranked = [...byValue].sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  expect(result.values.map((v) => [v.value, v.requests])).toEqual(
    ranked.slice(0, top).map(([v, cs]) => [v, cs.length]),
  );
  const check = (
    versions: MetricsBreakdown['values'][number]['versions'],
    cs: Call[],
    what: string,
  ): void => {
    expect(
      versions.map((v) => v.version),
      what,
    ).toEqual([...new Set(cs.map((c) => c.version))].sort((a, b) => b - a));
    for (const v of versions) {
      const mine = cs.filter((c) => c.version === v.version);
      expect(v.requests, `${what} v${v.version}`).toBe(mine.length);
      expect(v.errors, `${what} v${v.version} errors`).toBe(mine.filter((c) => c.error).length);
      const cost = mine.reduce((a, c) => a + c.cost, 0);
      expect(Math.abs(v.totalCostUsd - cost)).toBeLessThanOrEqual(1e-12 + cost * 1e-9);
      const lat = mine.map((c) => c.latencyMs).sort((a, b) => a - b);
      const exact = lat[Math.floor(0.5 * (lat.length - 1))]!;
      expect(Math.abs(v.latencyMs.p50 - exact), `${what} v${v.version} p50`).toBeLessThanOrEqual(
        exact * 0.005,
      );
    }
  };
  for (const v of result.values) check(v.versions, byValue.get(v.value)!, v.value);
  const rest = ranked.slice(top);
  if (rest.length === 0) {
    expect(result.other).toBeNull();
  } else {
    expect(result.other).toMatchObject({
      values: rest.length,
      requests: rest.reduce((a, [, cs]) => a + cs.length, 0),
    });
    check(
      result.other!.versions,
      rest.flatMap(([, cs]) => cs),
      'other',
    );
  }
}

describe('metricsBreakdown', () => {
  it('by model: from the aggregates', async () => {
    const r = await metricsBreakdown(client, { ...base, by: 'model' });
    expect(r.source).toBe('aggregates');
    expectBreakdown(r, (c) => c.model, 10);
  });

  it('by provider: from the generations', async () => {
    const r = await metricsBreakdown(client, { ...base, by: 'provider' });
    expect(r.source).toBe('generations');
    expectBreakdown(r, (c) => c.provider, 10);
  });

  it('by a span attribute, top 3 and the rest pooled; spans without it under ""', async () => {
    const r = await metricsBreakdown(client, { ...base, by: 'app.document_type', top: 3 });
    expect(r.source).toBe('spans');
    expectBreakdown(r, (c) => c.docType, 3);
    expect(r.values.map((v) => v.value)).not.toContain('noise');
  });

  it('by a resource attribute (no span attribute of that name)', async () => {
    const r = await metricsBreakdown(client, { ...base, by: 'app.tenant' });
    expectBreakdown(r, (c) => c.tenant, 10);
  });

  it('a named version keeps its name in the values and in the pooled rest', async () => {
    const named = 'extract-named';
    const rows = ['a', 'b', 'c', 'c'].map((tenant, i) =>
      traceRow({
        Timestamp: new Date(START + 2 * 3_600_000 + i * 1000).toISOString(),
        TraceId: hexId(90_000 + i, 32),
        SpanId: hexId(90_000 + i, 16),
        SpanAttributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROMPT_NAME]: named,
          [GEN_AI.PROMPT_VERSION]: '2.1.0',
        },
        ResourceAttributes: { [RESOURCE.PROJECT_ID]: PROJECT, 'app.tenant': tenant },
      }),
    );
    await insertTraces(client, rows, { database: DB, dedupToken: 'named' });
    for (const by of ['app.tenant', 'model']) {
      const r = await metricsBreakdown(client, { ...base, promptName: named, by, top: 1 });
      const all = [...r.values.flatMap((v) => v.versions), ...(r.other?.versions ?? [])];
      expect(all.length, by).toBeGreaterThan(0);
      expect(all.map((v) => v.versionName)).toEqual(all.map(() => '2.1.0'));
    }
    const r = await metricsBreakdown(client, { ...base, promptName: named, by: 'app.tenant', top: 1 });
    expect(r.other?.versions.map((v) => [v.versionName, v.requests])).toEqual([['2.1.0', 2]]);
  });

  it('bounds: top 1…100, attribute windows at most 7 days', async () => {
    await expect(metricsBreakdown(client, { ...base, by: 'model', top: 0 })).rejects.toThrow(
      'breakdown: top must be an integer from 1 to 100 (got 0)',
    );
    const long = { ...base, from: new Date(TO.getTime() - 8 * 86_400_000) };
    await expect(metricsBreakdown(client, { ...long, by: 'app.tenant' })).rejects.toBeInstanceOf(
      QueryOptionsError,
    );
    // The aggregate columns have no such bound.
    await expect(metricsBreakdown(client, { ...long, by: 'model' })).resolves.toMatchObject({
      source: 'aggregates',
    });
  });
});
