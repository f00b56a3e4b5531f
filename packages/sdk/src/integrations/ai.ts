/**
 * Vercel AI SDK (`ai`) integration: `experimental_telemetry` settings that link the SDK's model-call
 * spans to a prompt version. Imported from `@promptline/sdk/ai`; the `ai` package itself is never
 * loaded by this module.
 *
 * @module
 */
import type { AttributeValue, Attributes, Context, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { context, trace } from '@opentelemetry/api';
import { ERROR_TYPE, GEN_AI, PROMPTLINE, VERCEL_AI } from '@promptline/semconv';
import { logger } from '../logger.js';
import type { Prompt } from '@promptline/prompt';
import { promptAttributes, promptFromContext } from '../tracing/promptContext.js';
import { getTracer, settings } from '../tracing/settings.js';
import { variantAttributes, variantFromContext } from '../tracing/variantContext.js';

/** Options of {@link promptTelemetry}. */
export interface PromptTelemetryOptions {
  /** `functionId` of the AI SDK call. Default: the prompt's name. */
  readonly functionId?: string;
  /** Extra telemetry metadata (`ai.telemetry.metadata.*`). */
  readonly metadata?: Readonly<Record<string, AttributeValue>>;
  /** Let the AI SDK record prompts (`ai.prompt*`). Default: the process setting (`init({ captureInput })`, off). */
  readonly recordInputs?: boolean;
  /** Let the AI SDK record answers (`ai.response.text`, …). Default: the process setting (`init({ captureOutput })`, off). */
  readonly recordOutputs?: boolean;
  /** Tracer the spans are made with. Default: Promptline's (the provider `init()` set up, else the global one). */
  readonly tracer?: Tracer;
}

/** The `experimental_telemetry` settings {@link promptTelemetry} returns (the AI SDK's `TelemetrySettings`). */
export interface PromptTelemetrySettings {
  readonly isEnabled: true;
  readonly functionId?: string;
  readonly metadata: Record<string, AttributeValue>;
  readonly recordInputs: boolean;
  readonly recordOutputs: boolean;
  readonly tracer: Tracer;
}

/** The AI SDK's span of one model call (`ai.generateText.doGenerate`, `ai.streamText.doStream`, …). */
const MODEL_CALL_SPAN = /^ai\.[A-Za-z]+\.do(Generate|Stream)$/;

/**
 * AI SDK attributes whose figures the GenAI conventions name differently: mirrored on the model-call
 * span so cache, reasoning and time-to-first-chunk figures reach the same columns as our own spans.
 */
const MIRRORED: Readonly<Record<string, { key: string; scale: number }>> = {
  'ai.usage.inputTokenDetails.cacheReadTokens': { key: GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, scale: 1 },
  'ai.usage.cachedInputTokens': { key: GEN_AI.USAGE_CACHE_READ_INPUT_TOKENS, scale: 1 },
  'ai.usage.inputTokenDetails.cacheWriteTokens': { key: GEN_AI.USAGE_CACHE_WRITE_INPUT_TOKENS, scale: 1 },
  'ai.usage.outputTokenDetails.reasoningTokens': { key: GEN_AI.USAGE_REASONING_OUTPUT_TOKENS, scale: 1 },
  'ai.usage.reasoningTokens': { key: GEN_AI.USAGE_REASONING_OUTPUT_TOKENS, scale: 1 },
  [VERCEL_AI.MS_TO_FIRST_CHUNK]: { key: GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK, scale: 1 / 1000 },
};

function mirror(span: Span, attrs: Attributes): void {
  for (const [from, to] of Object.entries(MIRRORED)) {
    const v = attrs[from];
    if (typeof v === 'number' && Number.isFinite(v)) span.setAttribute(to.key, v * to.scale);
  }
}

/** A model-call span: mirrors figures as they are set, and names the error class of a failure. */
function observeModelSpan(span: Span): Span {
  const record = (attrs: Attributes): void => {
    try {
      mirror(span, attrs);
    } catch (err) {
      logger.debug('mirroring AI SDK attributes failed:', err);
    }
  };
  const proxy: Span = new Proxy(span, {
    get(target, key) {
      switch (key) {
        case 'setAttributes':
          return (attrs: Attributes): Span => {
            target.setAttributes(attrs);
            record(attrs);
            return proxy;
          };
        case 'setAttribute':
          return (k: string, v: AttributeValue): Span => {
            target.setAttribute(k, v);
            record({ [k]: v });
            return proxy;
          };
        case 'recordException':
          return (exception: Parameters<Span['recordException']>[0], time?: number): void => {
            try {
              const name = (exception as { name?: unknown } | null)?.name;
              if (typeof name === 'string' && name !== '') target.setAttribute(ERROR_TYPE, name);
            } catch (err) {
              logger.debug('recording an AI SDK error failed:', err);
            }
            target.recordException(exception, time);
          };
        default: {
          const value: unknown = Reflect.get(target, key, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        }
      }
    },
  });
  return proxy;
}

/** A tracer that links the AI SDK's model-call spans to `prompt` (or the `withPrompt` prompt). */
function linkingTracer(prompt: Prompt | undefined, base: Tracer): Tracer {
  const start = (name: string, options: SpanOptions = {}, ctx: Context = context.active()): Span => {
    if (!MODEL_CALL_SPAN.test(name)) return base.startSpan(name, options, ctx);
    let attrs: Attributes;
    try {
      attrs = { ...options.attributes, [PROMPTLINE.OBSERVATION_TYPE]: 'generation' };
      const provider = attrs[VERCEL_AI.MODEL_PROVIDER];
      if (typeof provider === 'string' && attrs[GEN_AI.PROVIDER_NAME] === undefined)
        attrs[GEN_AI.PROVIDER_NAME] = provider.split('.')[0] ?? provider;
      const linked = prompt ?? promptFromContext(ctx);
      if (linked !== undefined) Object.assign(attrs, promptAttributes(linked));
      const variant = variantFromContext(ctx);
      if (variant !== undefined) Object.assign(attrs, variantAttributes(variant, attrs));
    } catch (err) {
      logger.debug('linking an AI SDK span failed:', err);
      return base.startSpan(name, options, ctx);
    }
    return observeModelSpan(base.startSpan(name, { ...options, attributes: attrs }, ctx));
  };
  const startActiveSpan = (name: string, ...rest: unknown[]): unknown => {
    const fn = rest[rest.length - 1] as (span: Span) => unknown;
    const options = (rest.length >= 2 ? rest[0] : undefined) as SpanOptions | undefined;
    const ctx = (rest.length >= 3 ? rest[1] : undefined) as Context | undefined;
    const parent = ctx ?? context.active();
    const span = start(name, options, parent);
    return context.with(trace.setSpan(parent, span), fn, undefined, span);
  };
  return { startSpan: start, startActiveSpan: startActiveSpan as Tracer['startActiveSpan'] };
}

/**
 * `experimental_telemetry` settings for `generateText` / `streamText` / `generateObject` /
 * `streamObject` that link each model call's span (`ai.*.doGenerate` / `ai.*.doStream`) to the
 * prompt version, with the same attributes as Promptline's own generations: prompt name, version,
 * label and hash (a fallback prompt only as `promptline.prompt.fallback`), the experiment arm of
 * `withVariant`, `gen_ai.provider.name`, cache-read / cache-write / reasoning tokens and the time to
 * first chunk (from `ai.response.msToFirstChunk`). Without `prompt`, the `withPrompt` prompt is
 * linked. `metadata` also carries `promptName` / `promptVersion`, which the collector reads when
 * spans reach it without this tracer.
 *
 * The AI SDK retries a failed model call itself and records each attempt as its own span: a call
 * answered after one retry counts as two generations, one of them an error (our `observeOpenAI`
 * records one span across the client's retries).
 *
 * @example
 * ```ts
 * import { generateText } from 'ai';
 * import { promptTelemetry } from '@promptline/sdk/ai';
 *
 * const { text } = await generateText({
 *   model: openai('gpt-4o-mini'),
 *   messages: prompt.compileChat({ question }),
 *   experimental_telemetry: promptTelemetry(prompt),
 * });
 * ```
 */
export function promptTelemetry(
  prompt?: Prompt,
  options: PromptTelemetryOptions = {},
): PromptTelemetrySettings {
  const metadata: Record<string, AttributeValue> = { ...options.metadata };
  if (prompt !== undefined && !prompt.isFallback) {
    metadata.promptName = prompt.name;
    metadata.promptVersion = prompt.version;
  }
  const functionId = options.functionId ?? prompt?.name;
  return {
    isEnabled: true,
    ...(functionId === undefined ? {} : { functionId }),
    metadata,
    recordInputs: options.recordInputs ?? settings.captureInput,
    recordOutputs: options.recordOutputs ?? settings.captureOutput,
    tracer: linkingTracer(prompt, options.tracer ?? getTracer()),
  };
}
