import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OTLPLogExporterHttp } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPLogExporterProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPTraceExporterHttp } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPTraceExporterProto } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import {
  EVALUATION,
  EVALUATION_EVENT_NAME,
  GEN_AI,
  LANGFUSE,
  OPENINFERENCE,
  PROMPTLINE,
  RESOURCE,
  TRACELOOP,
  VERCEL_AI,
} from '@promptline/semconv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey, hashApiKey } from '../src/auth/ApiKeyStore.js';
import type { RunningCollector } from '../src/startCollector.js';
import { startCollector } from '../src/startCollector.js';
import { queryRows } from '../../../test/kit/engine.js';
import { tempDir, testConfig } from '../../../test/kit/collector.js';

const KEY = generateApiKey();

interface SpanOut {
  TraceId: string;
  SpanId: string;
  ParentSpanId: string;
  SpanName: string;
  SpanKind: string;
  ServiceName: string;
  ResourceAttributes: Record<string, string>;
  ScopeName: string;
  ScopeVersion: string;
  SpanAttributes: Record<string, string>;
  Duration: string;
  StatusCode: string;
  StatusMessage: string;
  'Events.Name': string[];
  'Events.Attributes': Array<Record<string, string>>;
  'Links.SpanId': string[];
  ts: string;
}

/** Emits the same set of spans through `exporter`; returns what the SDK recorded. */
async function emitSpans(
  exporter: SpanExporter,
  service: string,
): Promise<Map<string, { traceId: string; spanId: string; startNs: bigint; endNs: bigint }>> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      [RESOURCE.SERVICE_NAME]: service,
      [RESOURCE.PROJECT_ID]: 'spoofed-by-client',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receiver-test', '1.2.3');
  const seen = new Map<string, { traceId: string; spanId: string; startNs: bigint; endNs: bigint }>();
  const root = tracer.startSpan('handle request', { kind: SpanKind.SERVER, startTime: [1_763_700_000, 100] });
  const gen = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      startTime: [1_763_700_000, 500_000_123],
      attributes: {
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.REQUEST_MODEL]: 'gpt-4o-mini',
        [GEN_AI.USAGE_INPUT_TOKENS]: 1234,
        [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: 0.25,
        [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop', 'length'],
        [PROMPTLINE.PROMPT_VERSION]: 3,
        [PROMPTLINE.PROMPT_FALLBACK]: false,
        [GEN_AI.PROMPT_NAME]: 'support-answer',
        big: 9007199254740,
      },
      links: [{ context: root.spanContext(), attributes: { why: 'follows' } }],
    },
    (await import('@opentelemetry/api')).trace.setSpan(
      (await import('@opentelemetry/api')).context.active(),
      root,
    ),
  );
  gen.addEvent('first chunk', { index: 0 }, [1_763_700_000, 750_000_000]);
  gen.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
  gen.end([1_763_700_001, 250_000_456]);
  root.end([1_763_700_002, 0]);
  for (const [name, s, start, end] of [
    ['chat gpt-4o-mini', gen, 1_763_700_000_500_000_123n, 1_763_700_001_250_000_456n],
    ['handle request', root, 1_763_700_000_000_000_100n, 1_763_700_002_000_000_000n],
  ] as const) {
    seen.set(name, {
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      startNs: start,
      endNs: end,
    });
  }
  await provider.forceFlush();
  await provider.shutdown();
  return seen;
}

describe('OTLP receiver with the official exporters (real engine)', () => {
  const tmp = tempDir('promptline-receiver-');
  let collector: RunningCollector;

  beforeAll(async () => {
    collector = await startCollector(
      testConfig(tmp.dir, {
        processors: {
          promptline_auth: {
            keys: [{ sha256: hashApiKey(KEY), project: 'acme', scopes: ['ingest', 'read'] }],
          },
        },
      }),
    );
  });
  afterAll(async () => {
    await collector?.stop();
    tmp.remove();
  });

  for (const [label, make] of [
    [
      'protobuf',
      (url: string) => new OTLPTraceExporterProto({ url, headers: { authorization: `Bearer ${KEY}` } }),
    ],
    [
      'json',
      (url: string) => new OTLPTraceExporterHttp({ url, headers: { authorization: `Bearer ${KEY}` } }),
    ],
    [
      'protobuf+gzip',
      (url: string) =>
        new OTLPTraceExporterProto({
          url,
          headers: { authorization: `Bearer ${KEY}` },
          compression: 'gzip' as never,
        }),
    ],
  ] as const) {
    it(`stores spans sent by the ${label} exporter column for column`, async () => {
      const service = `svc-${label}`;
      const seen = await emitSpans(make(`${collector.url}/v1/traces`), service);
      expect(await collector.flush(20_000)).toBe(true);
      const rows = await queryRows<SpanOut>(
        collector.client,
        `SELECT *, toString(Timestamp) AS ts FROM otel_traces WHERE ServiceName = {s:String} ORDER BY SpanName`,
        { s: service },
      );
      expect(rows.map((r) => r.SpanName)).toEqual(['chat gpt-4o-mini', 'handle request']);
      const [gen, root] = rows as [SpanOut, SpanOut];
      const g = seen.get('chat gpt-4o-mini')!;
      const r = seen.get('handle request')!;
      expect(gen.TraceId).toBe(g.traceId);
      expect(gen.SpanId).toBe(g.spanId);
      expect(gen.ParentSpanId).toBe(r.spanId);
      expect(root.ParentSpanId).toBe('');
      expect(gen.SpanKind).toBe('Client');
      expect(root.SpanKind).toBe('Server');
      expect(gen.StatusCode).toBe('Error');
      expect(gen.StatusMessage).toBe('rate limited');
      expect(root.StatusCode).toBe('Unset');
      expect(gen.ts).toBe('2025-11-21 04:40:00.500000123');
      expect(BigInt(gen.Duration)).toBe(g.endNs - g.startNs);
      expect(BigInt(root.Duration)).toBe(r.endNs - r.startNs);
      expect(gen.ScopeName).toBe('receiver-test');
      expect(gen.ScopeVersion).toBe('1.2.3');
      expect(gen.SpanAttributes).toMatchObject({
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.USAGE_INPUT_TOKENS]: '1234',
        [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: '0.25',
        [GEN_AI.RESPONSE_FINISH_REASONS]: '["stop","length"]',
        [PROMPTLINE.PROMPT_VERSION]: '3',
        [PROMPTLINE.PROMPT_FALLBACK]: 'false',
        big: '9007199254740',
      });
      // The project comes from the API key, never from the client.
      expect(gen.ResourceAttributes[RESOURCE.PROJECT_ID]).toBe('acme');
      expect(gen.ResourceAttributes[RESOURCE.SERVICE_NAME]).toBe(service);
      expect(gen['Events.Name']).toEqual(['first chunk']);
      expect(gen['Events.Attributes']).toEqual([{ index: '0' }]);
      expect(gen['Links.SpanId']).toEqual([r.spanId]);
    });
  }

  for (const [label, Exporter] of [
    ['protobuf', OTLPLogExporterProto],
    ['json', OTLPLogExporterHttp],
  ] as const) {
    it(`stores score log records sent by the ${label} log exporter`, async () => {
      const exporter = new Exporter({
        url: `${collector.url}/v1/logs`,
        headers: { authorization: `Bearer ${KEY}` },
      });
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ [RESOURCE.SERVICE_NAME]: `logs-${label}` }),
        processors: [new SimpleLogRecordProcessor({ exporter })],
      });
      const logger = provider.getLogger('scores', '0.1.0');
      for (let i = 0; i < 3; i++) {
        logger.emit({
          eventName: EVALUATION_EVENT_NAME,
          severityNumber: SeverityNumber.INFO,
          severityText: 'INFO',
          body: { verdict: 'good', i },
          timestamp: [1_763_700_010 + i, 5],
          attributes: { [EVALUATION.NAME]: 'helpfulness', [EVALUATION.SCORE_VALUE]: 0.5 + i / 10 },
        });
      }
      await provider.forceFlush();
      await provider.shutdown();
      expect(await collector.flush(20_000)).toBe(true);
      const rows = await queryRows<{
        EventName: string;
        Body: string;
        LogAttributes: Record<string, string>;
        SeverityNumber: number;
        ResourceAttributes: Record<string, string>;
        ts: string;
      }>(
        collector.client,
        `SELECT EventName, Body, LogAttributes, SeverityNumber, ResourceAttributes, toString(Timestamp) AS ts FROM otel_logs WHERE ServiceName = {s:String} ORDER BY Timestamp`,
        { s: `logs-${label}` },
      );
      expect(rows).toHaveLength(3);
      expect(rows.map((r) => r.LogAttributes[EVALUATION.SCORE_VALUE])).toEqual(['0.5', '0.6', '0.7']);
      expect(rows[0]!.EventName).toBe(EVALUATION_EVENT_NAME);
      expect(rows[0]!.SeverityNumber).toBe(9);
      expect(JSON.parse(rows[2]!.Body)).toEqual({ verdict: 'good', i: 2 });
      expect(rows[1]!.ts).toBe('2025-11-21 04:40:11.000000005');
      expect(rows[0]!.ResourceAttributes[RESOURCE.PROJECT_ID]).toBe('acme');
    });
  }

  it('rejects a request without a key (401) and with an unknown key (401), storing nothing', async () => {
    const before = collector.metrics.accepted.traces;
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: new Uint8Array(),
    });
    expect(res.status).toBe(401);
    const res2 = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer pl_wrong' },
      body: '{}',
    });
    expect(res2.status).toBe(401);
    expect(await res2.json()).toMatchObject({ code: 16, message: 'unknown API key' });
    expect(collector.metrics.accepted.traces).toBe(before);
  });

  it("the default redaction masks e-mails in other conventions' content attributes", async () => {
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new SimpleSpanProcessor(
          new OTLPTraceExporterProto({
            url: `${collector.url}/v1/traces`,
            headers: { authorization: `Bearer ${KEY}` },
          }),
        ),
      ],
    });
    const email = 'jane.doe@example.com';
    const content = {
      [OPENINFERENCE.INPUT_MESSAGES]: JSON.stringify([{ role: 'user', content: `I am ${email}` }]),
      [`${OPENINFERENCE.INPUT_MESSAGES}.0.message.content`]: `I am ${email}`,
      [OPENINFERENCE.OUTPUT_VALUE]: `Hello ${email}`,
      [`${TRACELOOP.PROMPT}.0.content`]: `mail ${email}`,
      [`${TRACELOOP.COMPLETION}.0.content`]: `mail ${email}`,
      [LANGFUSE.OBSERVATION_INPUT]: `{"email":"${email}"}`,
      [VERCEL_AI.PROMPT_MESSAGES]: `[{"content":"${email}"}]`,
      [VERCEL_AI.RESPONSE_TEXT]: `to ${email}`,
    };
    // Not content: the prompt name sits under `gen_ai.prompt.` too and must stay as sent.
    const promptName = `redaction-${email}`;
    const span = provider.getTracer('redaction-test').startSpan('chat', {
      kind: SpanKind.CLIENT,
      attributes: { ...content, [GEN_AI.PROMPT_NAME]: promptName },
    });
    span.end();
    await provider.forceFlush();
    await provider.shutdown();
    expect(await collector.flush(20_000)).toBe(true);
    const [row] = await queryRows<{ SpanAttributes: Record<string, string> }>(
      collector.client,
      `SELECT SpanAttributes FROM otel_traces WHERE SpanId = {id:String}`,
      { id: span.spanContext().spanId },
    );
    const stored = row!.SpanAttributes;
    for (const [key, value] of Object.entries(content))
      expect(stored[key], key).toBe(value.replaceAll(email, '[REDACTED:email]'));
    expect(stored[GEN_AI.PROMPT_NAME]).toBe(promptName);
  });
});
