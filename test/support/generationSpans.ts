import { SpanStatusCode } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { ERROR_TYPE, GEN_AI, PROMPTLINE, RESOURCE } from '@promptline/semconv';
import { mulberry32 } from '../kit/random.js';

/** One generation span the tests send, with every value the tests later expect back. */
export interface GenerationSpec {
  prompt: string;
  version: number;
  label: string;
  model: string;
  /** Start, ms since the epoch. */
  startMs: number;
  durationMs: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  error: boolean;
  /** `gen_ai.response.id`, when the span carries one. */
  responseId?: string;
  /**
   * A version as other SDKs send it (`2.1.0`): the span then carries `gen_ai.prompt.version` with
   * this text instead of `promptline.prompt.version` (and `version` is not sent).
   */
  versionText?: string;
}

/**
 * `count` generation specs for `prompt`, spread over `versions`, deterministic for `seed`: latency,
 * tokens, cost and errors differ by version. Times start at `startMs` and advance 1 ms per span.
 */
export function generationSpecs(opts: {
  count: number;
  prompt: string;
  versions: readonly number[];
  seed: number;
  startMs: number;
}): GenerationSpec[] {
  const random = mulberry32(opts.seed);
  const out: GenerationSpec[] = [];
  for (let i = 0; i < opts.count; i++) {
    const version = opts.versions[i % opts.versions.length] ?? 1;
    out.push({
      prompt: opts.prompt,
      version,
      label: version === opts.versions[0] ? 'production' : 'canary',
      model: 'gpt-4o-mini',
      startMs: opts.startMs + i,
      durationMs: Math.round(100 * version + random() * 400),
      inputTokens: 50 + Math.floor(random() * 50),
      outputTokens: 10 * version + Math.floor(random() * 30),
      costUsd: Math.round(random() * 1e6) / 1e9,
      error: random() < 0.05 * version,
    });
  }
  return out;
}

/** Real OpenTelemetry spans for the specs (sdk-trace-base), in spec order. */
export function generationSpans(
  specs: readonly GenerationSpec[],
  serviceName = 'promptline-test',
): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [RESOURCE.SERVICE_NAME]: serviceName }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('promptline-test');
  for (const s of specs) {
    const span = tracer.startSpan(`chat ${s.model}`, {
      startTime: s.startMs,
      attributes: {
        [GEN_AI.OPERATION_NAME]: 'chat',
        [GEN_AI.PROVIDER_NAME]: 'openai',
        [GEN_AI.REQUEST_MODEL]: s.model,
        [GEN_AI.RESPONSE_MODEL]: s.model,
        [GEN_AI.PROMPT_NAME]: s.prompt,
        ...(s.versionText === undefined
          ? { [PROMPTLINE.PROMPT_VERSION]: s.version }
          : { [GEN_AI.PROMPT_VERSION]: s.versionText }),
        [PROMPTLINE.PROMPT_LABEL]: s.label,
        [GEN_AI.USAGE_INPUT_TOKENS]: s.inputTokens,
        [GEN_AI.USAGE_OUTPUT_TOKENS]: s.outputTokens,
        [PROMPTLINE.COST_USD]: s.costUsd,
        ...(s.responseId === undefined ? {} : { [GEN_AI.RESPONSE_ID]: s.responseId }),
      },
    });
    if (s.error) {
      span.setAttribute(ERROR_TYPE, 'server_error');
      span.setStatus({ code: SpanStatusCode.ERROR, message: 'simulated failure' });
    }
    span.end(s.startMs + s.durationMs);
  }
  return memory.getFinishedSpans();
}

/** The OTLP/HTTP protobuf body the official exporter would send for these spans. */
export function otlpProtobuf(spans: ReadableSpan[]): Uint8Array {
  const body = ProtobufTraceSerializer.serializeRequest(spans);
  if (body === undefined) throw new Error('the OTLP serializer produced no body');
  return body;
}

export interface PostResult {
  status: number;
  /** `Retry-After` header, when sent. */
  retryAfter: string | null;
  /** `0` when the request failed before an HTTP answer (connection refused, reset, timeout). */
  networkError?: string;
}

/** POSTs one OTLP protobuf body to `${url}/v1/traces`; never throws. */
export async function postTraces(
  url: string,
  body: Uint8Array,
  apiKey: string,
  timeoutMs = 10_000,
): Promise<PostResult> {
  try {
    const res = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${apiKey}` },
      body: new Uint8Array(body), // Uint8Array<ArrayBuffer>: a BodyInit under the DOM lib too
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return { status: res.status, retryAfter: res.headers.get('retry-after') };
  } catch (error) {
    return {
      status: 0,
      retryAfter: null,
      networkError: error instanceof Error ? error.message : String(error),
    };
  }
}
