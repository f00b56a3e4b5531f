import {
  GEN_AI,
  LANGFUSE,
  OPENINFERENCE,
  PROMPTLINE,
  RESOURCE,
  TRACELOOP,
  VERCEL_AI,
} from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { TraceRow } from '../src/otlp/rowTypes.js';
import { FilterProcessor } from '../src/processors/filter/FilterProcessor.js';
import { LimitsProcessor, TRUNCATION_SUFFIX } from '../src/processors/limits/LimitsProcessor.js';
import {
  BUILTIN_PATTERN_NAMES,
  builtinPattern,
  DEFAULT_CONTENT_KEYS,
  RedactionProcessor,
} from '../src/processors/redaction/RedactionProcessor.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { post, tempDir, testConfig } from '../../../test/kit/collector.js';
import { traceRow } from '../../../test/kit/rows.js';

const ctx = { project: 'p' };

function row(attrs: Record<string, string>, over: Partial<TraceRow> = {}): TraceRow {
  return traceRow({
    Timestamp: '2026-11-21 10:00:00.000000000',
    TraceId: 'ab000000000000000000000000000001',
    SpanId: 'ab00000000000001',
    SpanName: 'op',
    SpanKind: 'Internal',
    ServiceName: 's',
    ResourceAttributes: { 'service.name': 's' },
    ScopeName: '',
    ScopeVersion: '',
    SpanAttributes: attrs,
    Duration: 1,
    ...over,
  });
}

describe('redaction', () => {
  const all = new RedactionProcessor('r', {
    patterns: BUILTIN_PATTERN_NAMES.map(builtinPattern),
    scope: 'content',
    contentKeys: DEFAULT_CONTENT_KEYS,
    dropKeys: ['user.secret'],
    logBodies: true,
  });

  it.each([
    ['write to jane.doe+test@example.co.uk today', 'write to [REDACTED:email] today'],
    ['call +1 (555) 123-4567 or 555.123.4567', 'call [REDACTED:phone] or [REDACTED:phone]'],
    ['card 4111 1111 1111 1111 ok', 'card [REDACTED:card] ok'],
    ['not a card 4111 1111 1111 1112', 'not a card 4111 1111 1111 1112'],
    [
      'key sk-proj-abcdefghijklmnop1234 and AKIAABCDEFGHIJKLMNOP',
      'key [REDACTED:api_key] and [REDACTED:api_key]',
    ],
    ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz123456', 'Authorization: [REDACTED:api_key]'],
    ['order 12345 shipped on 2026-11-21', 'order 12345 shipped on 2026-11-21'],
  ])('%s', (input, output) => {
    expect(all.redact(input)).toBe(output);
  });

  it('scans only content attributes in scope content, every value in scope all; drops keys', () => {
    const r = row({
      [GEN_AI.INPUT_MESSAGES]: 'mail me at a@b.io',
      'user.email': 'a@b.io',
      'user.secret': 'x',
    });
    all.processTraces([r], ctx);
    expect(r.SpanAttributes).toEqual({
      [GEN_AI.INPUT_MESSAGES]: 'mail me at [REDACTED:email]',
      'user.email': 'a@b.io',
    });
    const everything = new RedactionProcessor('r2', {
      patterns: [builtinPattern('email'), { name: 'ticket', regex: /TCK-\d{6}/g, replacement: '[TICKET]' }],
      scope: 'all',
      contentKeys: [],
      dropKeys: [],
      logBodies: false,
    });
    const r2 = row(
      { 'user.email': 'a@b.io', note: 'see TCK-123456' },
      { ResourceAttributes: { owner: 'ops@corp.com' } },
    );
    everything.processTraces([r2], ctx);
    expect(r2.SpanAttributes).toEqual({ 'user.email': '[REDACTED:email]', note: 'see [TICKET]' });
    expect(r2.ResourceAttributes).toEqual({ owner: '[REDACTED:email]' });
    expect(everything.counters()).toMatchObject({ redacted_email: 2, redacted_ticket: 1 });
  });
});

describe('filtering and sampling never drop generations', () => {
  it('sample_ratio 0 keeps every generation and error span, drops the rest; whole traces decide together', () => {
    const f = new FilterProcessor('f', { sampleRatio: 0, dropSpanNames: [], keepErrors: true });
    const rows = [
      row({ [GEN_AI.OPERATION_NAME]: 'chat' }, { SpanName: 'gen-op' }),
      row({ [PROMPTLINE.OBSERVATION_TYPE]: 'generation' }, { SpanName: 'gen-obs' }),
      row({ [GEN_AI.REQUEST_MODEL]: 'm' }, { SpanName: 'gen-model' }),
      row({ [LANGFUSE.OBSERVATION_TYPE]: 'generation' }, { SpanName: 'gen-langfuse' }),
      row({ [OPENINFERENCE.SPAN_KIND]: 'LLM' }, { SpanName: 'gen-openinference' }),
      row({ [VERCEL_AI.MODEL_ID]: 'gpt-4o' }, { SpanName: 'gen-vercel' }),
      row({ [TRACELOOP.REQUEST_TYPE]: 'chat' }, { SpanName: 'gen-traceloop' }),
      row({}, { SpanName: 'error', StatusCode: 'Error' }),
      row({ 'http.method': 'GET' }, { SpanName: 'plain' }),
    ];
    expect(f.processTraces(rows, ctx).map((r) => r.SpanName)).toEqual([
      'gen-op',
      'gen-obs',
      'gen-model',
      'gen-langfuse',
      'gen-openinference',
      'gen-vercel',
      'gen-traceloop',
      'error',
    ]);
    expect(f.counters()).toEqual({ dropped_spans: 1 });

    const half = new FilterProcessor('h', {
      sampleRatio: 0.5,
      dropSpanNames: ['healthcheck'],
      keepErrors: false,
    });
    const many: TraceRow[] = [];
    for (let t = 0; t < 400; t++) {
      const traceId = ((t * 2654435761) >>> 0).toString(16).padStart(8, '0') + '0'.repeat(23) + '1';
      for (let s = 0; s < 3; s++) many.push(row({}, { TraceId: traceId, SpanName: `s${s}` }));
      many.push(row({ [GEN_AI.OPERATION_NAME]: 'chat' }, { TraceId: traceId, SpanName: 'healthcheck' }));
    }
    const kept = half.processTraces(many, ctx);
    expect(kept.filter((r) => r.SpanName === 'healthcheck')).toHaveLength(400); // generations, even by name
    const perTrace = new Map<string, number>();
    for (const r of kept)
      if (r.SpanName !== 'healthcheck') perTrace.set(r.TraceId, (perTrace.get(r.TraceId) ?? 0) + 1);
    expect([...perTrace.values()].every((n) => n === 3)).toBe(true);
    expect(perTrace.size).toBeGreaterThan(150);
    expect(perTrace.size).toBeLessThan(250);
  });
});

describe('attribute limits', () => {
  it('truncates long values, keeps gen_ai.* / promptline.* first, caps events', () => {
    const l = new LimitsProcessor('l', {
      maxValueLength: 100,
      maxAttributes: 10,
      maxEvents: 2,
      maxBodyLength: 100,
    });
    const attrs: Record<string, string> = {};
    for (let i = 0; i < 20; i++) attrs[`custom.${i}`] = 'v';
    attrs[GEN_AI.USAGE_INPUT_TOKENS] = '12';
    attrs[PROMPTLINE.PROMPT_VERSION] = '3';
    attrs[GEN_AI.INPUT_MESSAGES] = 'x'.repeat(1000);
    const r = row(attrs, {
      'Events.Name': ['a', 'b', 'c'],
      'Events.Timestamp': ['t', 't', 't'],
      'Events.Attributes': [{}, {}, {}],
    });
    const [out] = l.processTraces([r], ctx);
    const keys = Object.keys(out!.SpanAttributes);
    expect(keys).toHaveLength(10);
    expect(keys.slice(0, 3).sort()).toEqual(
      [GEN_AI.INPUT_MESSAGES, GEN_AI.USAGE_INPUT_TOKENS, PROMPTLINE.PROMPT_VERSION].sort(),
    );
    expect(out!.SpanAttributes[GEN_AI.INPUT_MESSAGES]).toHaveLength(100);
    expect(out!.SpanAttributes[GEN_AI.INPUT_MESSAGES]!.endsWith(TRUNCATION_SUFFIX)).toBe(true);
    expect(out!['Events.Name']).toEqual(['a', 'b']);
    expect(l.counters()).toEqual({ truncated_values: 1, dropped_attributes: 13, dropped_events: 1 });
  });
});

describe('processors in a running collector (real engine)', () => {
  const tmp = tempDir('promptline-processors-');
  let collector: RunningCollector;
  const KEY = 'pl_processors_test_key_0123456789';
  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: { keys: [{ sha256: hashApiKey(KEY), project: 'acme', scopes: ['ingest'] }] },
          promptline_redaction: { custom: [{ name: 'ticket', regex: 'TCK-\\d{6}' }] },
          promptline_filter: { sample_ratio: 0 },
          promptline_limits: { max_attribute_value_length: 64 },
        },
      }),
    );
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  it('applies auth → redaction → filter → limits in order and stores the result', async () => {
    const doc = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: RESOURCE.PROJECT_ID, value: { stringValue: 'evil' } },
              { key: 'service.name', value: { stringValue: 'proc' } },
            ],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'ab000000000000000000000000000009',
                  spanId: 'ab00000000000009',
                  name: 'chat',
                  attributes: [
                    { key: GEN_AI.OPERATION_NAME, value: { stringValue: 'chat' } },
                    {
                      key: GEN_AI.OUTPUT_MESSAGES,
                      value: {
                        stringValue: `reach me at bob@example.com about TCK-123456 ${'z'.repeat(200)}`,
                      },
                    },
                  ],
                },
                { traceId: 'ab000000000000000000000000000009', spanId: 'ab0000000000000a', name: 'db query' },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(`${collector.url}/v1/traces`, JSON.stringify(doc), {
      'content-type': 'application/json',
      authorization: `Bearer ${KEY}`,
    });
    expect(res.status).toBe(200);
    expect(await collector.flush(20_000)).toBe(true);
    const rows = await queryRows<{ SpanName: string; out: string; project: string }>(
      collector.client,
      `SELECT SpanName, SpanAttributes['${GEN_AI.OUTPUT_MESSAGES}'] AS out, ResourceAttributes['${RESOURCE.PROJECT_ID}'] AS project FROM otel_traces WHERE ServiceName = 'proc'`,
    );
    expect(rows).toEqual([
      {
        SpanName: 'chat',
        out: `reach me at [REDACTED:email] about [REDACTED:ticket]${TRUNCATION_SUFFIX}`,
        project: 'acme',
      },
    ]);
    expect(rows[0]!.out).toHaveLength(64);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain('promptline_collector_filtered_total{signal="traces"} 1');
    expect(metrics).toContain(
      'promptline_collector_processor_total{processor="promptline_auth",counter="client_project_overwritten"} 1',
    );
  });
});
