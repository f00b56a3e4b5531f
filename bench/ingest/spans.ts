/**
 * Realistic generation-span batches for bench:ingest, encoded by the official OTLP protobuf
 * exporter (captured from the wire, so the collector sees exactly what SDKs send).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';

const MODELS = ['gpt-4o-mini', 'gpt-4o', 'claude-3-5-sonnet', 'gemini-1.5-pro'];
const LABELS = ['production', 'staging', 'variant-a', 'variant-b'];

/**
 * `count` exporter requests of `spansPerBatch` generation spans each, over 20 prompts named
 * `${prompts}0` … `${prompts}19` (or over the names `prompts` lists), under four labels (or only
 * `label`), started in the minute before `at` (default: now).
 */
export async function captureBatches(
  count: number,
  spansPerBatch: number,
  prompts: string | readonly string[] = 'prompt-',
  label?: string,
  at?: number,
): Promise<Buffer[]> {
  const PROMPTS =
    typeof prompts === 'string' ? Array.from({ length: 20 }, (_, i) => `${prompts}${i}`) : prompts;
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks));
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const exporter = new OTLPTraceExporter({ url });
  let seq = 0;
  for (let b = 0; b < count; b++) {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        [RESOURCE.SERVICE_NAME]: `svc-${b % 4}`,
        [RESOURCE.DEPLOYMENT_ENVIRONMENT]: b % 2 === 0 ? 'production' : 'staging',
        'service.version': '1.4.2',
        'host.name': `host-${b % 8}`,
        'telemetry.sdk.language': 'nodejs',
      }),
    });
    const tracer = provider.getTracer('@promptline/sdk', '0.1.0');
    const spans: Span[] = [];
    const now = at ?? Date.now();
    for (let i = 0; i < spansPerBatch; i++) {
      seq++;
      const p = seq % PROMPTS.length;
      const version = 1 + (seq % 5);
      const latency = 200 + ((seq * 7919) % 3000);
      const start = now - 60_000 + (seq % 50_000);
      const input = 200 + ((seq * 31) % 2000);
      const output = 20 + ((seq * 17) % 600);
      const span = tracer.startSpan(`chat ${MODELS[p % MODELS.length]}`, {
        kind: SpanKind.CLIENT,
        startTime: start,
        attributes: {
          [GEN_AI.OPERATION_NAME]: 'chat',
          [GEN_AI.PROVIDER_NAME]: 'openai',
          [GEN_AI.REQUEST_MODEL]: MODELS[p % MODELS.length]!,
          [GEN_AI.RESPONSE_MODEL]: `${MODELS[p % MODELS.length]!}-2024-08-06`,
          [GEN_AI.REQUEST_TEMPERATURE]: 0.2,
          [GEN_AI.REQUEST_MAX_TOKENS]: 1024,
          [GEN_AI.RESPONSE_ID]: `chatcmpl-${seq.toString(36)}`,
          [GEN_AI.RESPONSE_FINISH_REASONS]: ['stop'],
          [GEN_AI.USAGE_INPUT_TOKENS]: input,
          [GEN_AI.USAGE_OUTPUT_TOKENS]: output,
          [GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS]: seq % 3 === 0 ? 128 : 0,
          [GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK]: latency / 4000,
          [GEN_AI.PROMPT_NAME]: PROMPTS[p]!,
          [PROMPTLINE.PROMPT_VERSION]: version,
          [PROMPTLINE.PROMPT_LABEL]: label ?? LABELS[seq % LABELS.length]!,
          [PROMPTLINE.PROMPT_HASH]: `sha256:${(seq * 2654435761).toString(16).padStart(16, '0')}`,
          [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
          [GEN_AI.CONVERSATION_ID]: `conv-${seq % 1000}`,
        },
      });
      if (seq % 33 === 0) span.setStatus({ code: SpanStatusCode.ERROR, message: 'rate limited' });
      span.end(start + latency);
      spans.push(span);
    }
    await new Promise<void>((resolve, reject) =>
      exporter.export(spans as never, (r) =>
        r.code === 0 ? resolve() : reject(r.error ?? new Error('export failed')),
      ),
    );
    await provider.shutdown();
  }
  await exporter.shutdown();
  await new Promise<void>((r) => server.close(() => r()));
  return bodies;
}
