import type { Attributes, Span } from '@opentelemetry/api';
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { ERROR_TYPE, GEN_AI, HTTP_RESPONSE_STATUS_CODE, PROMPTLINE } from '@promptline/semconv';
import { logger } from '../logger.js';
import type { Prompt } from '@promptline/prompt';
import { recordCapture } from '../tracing/capture.js';
import type { GenerationUpdate, Usage } from '../tracing/Generation.js';
import { Generation, applyUpdate, rememberSpan, startSpan } from '../tracing/Generation.js';
import { promptAttributes, promptFromContext } from '../tracing/promptContext.js';
import { settings } from '../tracing/settings.js';

/** Options every client integration (`observeOpenAI`, `observeAnthropic`) takes. */
export interface ClientIntegrationOptions {
  /**
   * The prompt version the calls use. Without it, the prompt of the enclosing `withPrompt` (if
   * any) is linked. A fallback prompt is recorded only as `promptline.prompt.fallback: true`.
   */
  readonly prompt?: Prompt;
  /** Span name. Default `{operation} {model}` (e.g. `chat gpt-4o-mini`), as the GenAI conventions name spans. */
  readonly name?: string;
  /** `gen_ai.provider.name`. Default: the client's provider (`openai`, `azure.ai.openai`, `anthropic`). */
  readonly provider?: string;
  /** Extra attributes on every span. */
  readonly attributes?: Attributes;
  /** Record the request's messages. Default: the process setting (`init({ captureInput })`, off). */
  readonly captureInput?: boolean;
  /** Record the answer's text. Default: the process setting (`init({ captureOutput })`, off). */
  readonly captureOutput?: boolean;
}

/** What a finished call learned: everything the per-version figures need. */
export interface CallOutcome {
  readonly responseModel?: string;
  readonly responseId?: string;
  readonly usage?: Usage;
  readonly finishReasons?: readonly string[];
  readonly output?: unknown;
  /** The provider answered but reported a failure (e.g. a response with status `failed`). */
  readonly failure?: { readonly type: string; readonly message: string };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** @internal a number, or `undefined` for anything else (null, missing, NaN). */
export function num(v: unknown): number | undefined {
  return isNumber(v) ? v : undefined;
}

/** @internal a non-empty string, or `undefined`. */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** @internal `value` as a plain record (for reading fields of unknown client objects). */
export function rec(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/**
 * @internal One provider call in flight: its generation span, when it started, and how it ends.
 * Every method is safe to call more than once and never throws; the first ending wins.
 */
export class ClientCall {
  readonly span: Span;
  readonly startedAt = performance.now();
  readonly captureOutput: boolean;
  #first = true;
  #finished = false;

  readonly prompt: Prompt | undefined;

  constructor(span: Span, captureOutput: boolean, prompt: Prompt | undefined) {
    this.span = span;
    this.captureOutput = captureOutput;
    this.prompt = prompt;
  }

  /** Makes {@link generationOf} find this call's generation from what the client returned. */
  register(value: unknown): void {
    if (value === null || typeof value !== 'object') return;
    try {
      generations.set(value, new Generation(this.span, rememberSpan(this.span, this.startedAt, this.prompt)));
    } catch (err) {
      logger.debug('remembering a generation failed:', err);
    }
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Records `gen_ai.response.time_to_first_chunk` once: the first chunk that carries output. */
  firstOutput(): void {
    if (!this.#first) return;
    this.#first = false;
    try {
      this.span.setAttribute(
        GEN_AI.RESPONSE_TIME_TO_FIRST_CHUNK,
        (performance.now() - this.startedAt) / 1000,
      );
    } catch (err) {
      logger.debug('recording time to first chunk failed:', err);
    }
  }

  /** Ends the span with what the provider answered. `abandoned`: the consumer stopped reading a stream. */
  succeed(outcome: CallOutcome, abandoned = false, endTime?: number): void {
    if (this.#finished) return;
    this.#finished = true;
    try {
      const update: GenerationUpdate = {
        responseModel: outcome.responseModel,
        responseId: outcome.responseId,
        usage: outcome.usage,
        finishReasons: outcome.finishReasons,
      };
      applyUpdate(this.span, update);
      if (this.captureOutput && outcome.output !== undefined)
        recordCapture(this.span, 'output', outcome.output);
      if (abandoned) this.span.setAttribute(PROMPTLINE.STREAM_ABANDONED, true);
      if (outcome.failure !== undefined) {
        this.span.setAttribute(ERROR_TYPE, outcome.failure.type);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.failure.message });
      }
      this.span.end(endTime);
    } catch (err) {
      logger.debug('ending a client span failed:', err);
    }
  }

  /**
   * Ends the span as failed: `error.type` is the error's class (`RateLimitError`,
   * `APIConnectionError`, …), `http.response.status_code` its HTTP status when it has one. Usage
   * seen before the failure (a stream that broke) is kept.
   */
  fail(error: unknown, partial?: CallOutcome): void {
    if (this.#finished) return;
    this.#finished = true;
    try {
      if (partial !== undefined) {
        applyUpdate(this.span, {
          responseModel: partial.responseModel,
          responseId: partial.responseId,
          usage: partial.usage,
        });
      }
      const e = error instanceof Error ? error : undefined;
      this.span.setAttribute(ERROR_TYPE, errorType(error));
      const status = rec(error).status;
      if (isNumber(status)) this.span.setAttribute(HTTP_RESPONSE_STATUS_CODE, status);
      if (e !== undefined) this.span.recordException(e);
      this.span.setStatus({
        code: SpanStatusCode.ERROR,
        message: e !== undefined ? e.message : String(error),
      });
      this.span.end();
    } catch (err) {
      logger.debug('ending a client span failed:', err);
    }
  }
}

/** The class of an error as a short, low-cardinality name (`RateLimitError`, not `Error`). */
function errorType(error: unknown): string {
  if (!(error instanceof Error)) return typeof error;
  if (error.name !== '' && error.name !== 'Error') return error.name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' && ctor !== '' ? ctor : 'Error';
}

const generations = new WeakMap<object, Generation>();

/**
 * The generation an integration recorded for a value its client returned (a completion, a message,
 * a stream, a stream helper), to score it, validate it or read its ids; `undefined` for anything
 * else.
 *
 * @example
 * ```ts
 * const res = await observeOpenAI(openai, { prompt }).chat.completions.create({ model, messages });
 * generationOf(res)?.score('correct', res.choices[0]?.message.content === expected);
 * ```
 */
export function generationOf(value: unknown): Generation | undefined {
  return value !== null && typeof value === 'object' ? generations.get(value) : undefined;
}

/** What a call's span starts with. */
export interface CallStart {
  readonly operation: string;
  readonly provider: string;
  readonly model: string | undefined;
  /** Request parameters worth recording (`gen_ai.request.temperature`, …). */
  readonly request?: Attributes;
  /** The request's messages (recorded only when input capture is on). */
  readonly input?: unknown;
}

/** @internal the request attributes of the usual sampling parameters, skipping absent ones. */
export function requestAttributes(body: Record<string, unknown>, maxTokensKey: string): Attributes {
  const attrs: Attributes = {};
  const t = num(body.temperature);
  if (t !== undefined) attrs[GEN_AI.REQUEST_TEMPERATURE] = t;
  const p = num(body.top_p);
  if (p !== undefined) attrs[GEN_AI.REQUEST_TOP_P] = p;
  const m = num(body[maxTokensKey]);
  if (m !== undefined) attrs[GEN_AI.REQUEST_MAX_TOKENS] = m;
  return attrs;
}

/**
 * @internal Starts the generation span of one client call (not made active: the caller runs the
 * request inside it with {@link runInCall}). Links the explicit prompt, else the `withPrompt` one,
 * and the current experiment arm. Returns `undefined` if telemetry failed (the call goes ahead).
 */
export function startClientCall(opts: ClientIntegrationOptions, start: CallStart): ClientCall | undefined {
  try {
    const parent = context.active();
    const attributes: Attributes = {
      ...opts.attributes,
      [PROMPTLINE.OBSERVATION_TYPE]: 'generation',
      [GEN_AI.OPERATION_NAME]: start.operation,
      [GEN_AI.PROVIDER_NAME]: opts.provider ?? start.provider,
      ...start.request,
    };
    if (start.model !== undefined) attributes[GEN_AI.REQUEST_MODEL] = start.model;
    if (opts.prompt !== undefined) Object.assign(attributes, promptAttributes(opts.prompt));
    const name =
      opts.name ?? (start.model !== undefined ? `${start.operation} ${start.model}` : start.operation);
    const span = startSpan(
      name,
      { kind: SpanKind.CLIENT, attributes },
      opts.prompt !== undefined,
      parent,
      true,
    );
    if ((opts.captureInput ?? settings.captureInput) && start.input !== undefined)
      recordCapture(span, 'input', start.input);
    return new ClientCall(
      span,
      opts.captureOutput ?? settings.captureOutput,
      opts.prompt ?? promptFromContext(parent),
    );
  } catch (err) {
    logger.debug('starting a client span failed:', err);
    return undefined;
  }
}

/**
 * @internal runs `fn` (the request) with tracing suppressed: spans other instrumentations would
 * start inside the call (the client library's own, e.g. `@anthropic-ai/sdk`'s built-in spans,
 * `@opentelemetry/instrumentation-openai`, HTTP client spans) are not recorded, so each call is
 * one generation, not two.
 */
export function runInCall<R>(call: ClientCall, fn: () => R): R {
  return context.with(suppressTracing(trace.setSpan(context.active(), call.span)), fn);
}
